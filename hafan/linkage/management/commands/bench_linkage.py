"""Benchmark: identity resolution on synthetic multi-agency data with ground truth (`make bench-linkage`).

For each size, three systems link the same seeded records (hafan.linkage.synthetic):

- the Hafan model (hafan.linkage.engine): train, predict pairs at the lower threshold (what the hub
  does: the review band is needed too), cluster at the upper threshold;
- an out-of-the-box Splink model as in Splink's tutorials (hafan.linkage.baselines);
- exact given name + family name + date of birth, what agencies do by hand today.

Each (size, system) runs in its own child process, so its peak resident memory
(getrusage(RUSAGE_SELF).ru_maxrss, which sees DuckDB's allocations that tracemalloc cannot) is its own
and peaks do not accumulate. The peak includes the generated records; their own footprint is printed
as "data MB". Generating the records is not timed.

"Pairs compared" counts the distinct record pairs the system scores: for Splink models, Splink's own
blocking analysis over the prediction blocking rules, exact (record_sample_proportion=1.0), with pairs
found by more than one rule counted once; for the exact baseline, the pairs that share its key.

Incremental matching (the largest size): 200 records are held out as new arrivals; an index
blocking key -> record ids is built once over the rest with engine.blocking_keys; each arrival's
candidates are looked up (capped as the hub caps them, services.CANDIDATE_LIMIT) and scored with
engine.score_candidates. Timed per record: key computation, lookup and scoring.
"""

from __future__ import annotations

import json
import os
import random
import resource
import statistics
import subprocess
import sys
import time
import traceback
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

SYSTEMS = ("hafan", "splink", "exact")
LABELS = {"hafan": "Hafan model", "splink": "out-of-the-box Splink", "exact": "exact name + DOB"}
INCREMENTAL_SAMPLES = 200


class Command(BaseCommand):
    help = "Links synthetic multi-agency records at several sizes and prints time, memory and accuracy."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--sizes", default="10000,100000,1000000", help="comma-separated record counts")
        parser.add_argument("--seed", type=int, default=7)
        parser.add_argument(
            "--skip-baselines-above",
            type=int,
            default=100_000,
            help="run the out-of-the-box Splink model only up to this many records (it blocks too loosely)",
        )
        parser.add_argument("--systems", default=",".join(SYSTEMS), help="any of hafan,splink,exact")
        parser.add_argument("--incremental", type=int, default=INCREMENTAL_SAMPLES, help="0 to skip")
        parser.add_argument("--json", dest="json_path", default="", help="also write the results here")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            sizes = [int(s.replace("_", "")) for s in options["sizes"].split(",") if s.strip()]
        except ValueError as exc:
            raise CommandError("--sizes takes comma-separated whole numbers, e.g. 10000,100000") from exc
        systems = [s.strip() for s in options["systems"].split(",") if s.strip()]
        unknown = set(systems) - set(SYSTEMS)
        if unknown or not sizes:
            raise CommandError(
                f"unknown system(s) {', '.join(sorted(unknown))}; choose from {', '.join(SYSTEMS)}"
            )
        seed: int = options["seed"]
        skip_above: int = options["skip_baselines_above"]
        upper, lower = settings.HAFAN_LINK_UPPER, settings.HAFAN_LINK_LOWER
        self.stdout.write(
            f"Linkage benchmark: seed {seed}, thresholds upper {upper} / lower {lower}, "
            f"{os.cpu_count()} CPUs; each run in its own process."
        )
        results: list[dict[str, Any]] = []
        notes: list[str] = []
        for size in sizes:
            for system in systems:
                if system == "splink" and size > skip_above:
                    notes.append(
                        f"out-of-the-box Splink skipped at {size:,} records (--skip-baselines-above {skip_above:,})"
                    )
                    continue
                job = {
                    "system": system,
                    "size": size,
                    "seed": seed,
                    "upper": upper,
                    "lower": lower,
                    "incremental": options["incremental"] if system == "hafan" and size == max(sizes) else 0,
                }
                self.stderr.write(f"  {LABELS[system]} at {size:,} records ...")
                result = _run_in_child(job)
                results.append(result)
                self.stderr.write(f"    {_one_line(result)}")
        self.stdout.write(_table(results))
        for result in results:
            if result.get("pairs_in_review_band") is not None:
                share = result["review_band_true_share"]
                self.stdout.write(
                    f"Hafan model at {result['size']:,}: {result['pairs_in_review_band']:,} pairs in the review band "
                    f"({lower} <= p < {upper})"
                    + (f", {share:.1%} of them truly the same child" if share is not None else "")
                    + f"; predict {result['predict_seconds']:.1f} s + cluster {result['cluster_seconds']:.1f} s."
                )
        for result in results:
            if result.get("incremental"):
                self.stdout.write(_incremental_text(result))
        for note in notes:
            self.stdout.write(f"Note: {note}.")
        for result in results:
            if result.get("error"):
                self.stdout.write(
                    f"Failed: {LABELS[result['system']]} at {result['size']:,}: {result['error']}"
                )
        if options["json_path"]:
            with open(options["json_path"], "w", encoding="utf-8") as handle:
                json.dump(results, handle, indent=2)


# The parent: run a job in a fresh interpreter and read back its JSON result.


def _run_in_child(job: dict[str, Any]) -> dict[str, Any]:
    code = "import sys; from hafan.linkage.management.commands.bench_linkage import run_job; run_job(sys.argv[1])"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "config.settings"),
    }
    started = time.perf_counter()
    proc = subprocess.run(  # noqa: S603 - our own interpreter and module, arguments we built
        [sys.executable, "-c", code, json.dumps(job)], stdout=subprocess.PIPE, text=True, env=env, check=False
    )  # the child's stderr (its progress lines and any traceback) goes straight to ours
    for line in reversed(proc.stdout.strip().splitlines()):
        if line.startswith("{"):
            result: dict[str, Any] = json.loads(line)
            result["wall_seconds"] = time.perf_counter() - started
            return result
    return {**job, "error": f"child exited {proc.returncode} without a result (see its output above)"}


def _mb(kilobytes: float) -> float:
    return kilobytes / 1024  # ru_maxrss is in kilobytes on Linux


def _fmt(value: Any, spec: str, missing: str = "-") -> str:
    return missing if value is None else format(value, spec)


def _one_line(r: dict[str, Any]) -> str:
    if r.get("error"):
        return f"failed: {r['error']}"
    return (
        f"train {r['train_seconds']:.1f} s, link {r['link_seconds']:.1f} s, peak {_mb(r['peak_kb']):,.0f} MB, "
        f"P {r['precision']:.4f} R {r['recall']:.4f}"
    )


def _table(results: Sequence[dict[str, Any]]) -> str:
    head = (
        f"{'records':>10}  {'system':<22} {'pairs compared':>15} {'train s':>8} {'link s':>8} {'total s':>8} "
        f"{'peak MB':>8} {'data MB':>8} {'precision':>9} {'recall':>7} {'F1':>7} {'clusters':>9} {'people':>9}"
    )
    lines = [head, "-" * len(head)]
    for r in results:
        if r.get("error"):
            lines.append(f"{r['size']:>10,}  {LABELS[r['system']]:<22} failed (see below)")
            continue
        lines.append(
            f"{r['size']:>10,}  {LABELS[r['system']]:<22} {_fmt(r['pairs_compared'], ',', 'n/a'):>15} "
            f"{r['train_seconds']:>8.1f} {r['link_seconds']:>8.1f} {r['train_seconds'] + r['link_seconds']:>8.1f} "
            f"{_mb(r['peak_kb']):>8,.0f} {_mb(r['data_kb']):>8,.0f} {r['precision']:>9.4f} {r['recall']:>7.4f} "
            f"{r['f1']:>7.4f} {r['clusters']:>9,} {r['true_clusters']:>9,}"
        )
    return "\n".join(lines)


def _incremental_text(r: dict[str, Any]) -> str:
    inc = r["incremental"]
    return (
        f"Incremental matching against {r['size'] - inc['samples']:,} existing records ({inc['samples']} new records): "
        f"p50 {inc['p50_ms']:.1f} ms, p95 {inc['p95_ms']:.1f} ms, max {inc['max_ms']:.1f} ms "
        f"(index built in {inc['index_seconds']:.1f} s: {inc['keys']:,} keys); candidates per record: median "
        f"{inc['median_candidates']:.0f}, {inc['capped']} hit the cap of {inc['cap']}; of {inc['with_match']} new "
        f"records whose person already had a record, a true match was among the candidates for "
        f"{inc['match_in_candidates']} and scored at or above the lower threshold for {inc['match_found']}"
    )


# The child: one (size, system), results as one JSON line on stdout.


def _peak_kb() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


_CHILD_STARTED = time.perf_counter()


def _progress(message: str) -> None:
    sys.stderr.write(
        f"    [{time.perf_counter() - _CHILD_STARTED:7.1f} s, peak {_mb(_peak_kb()):,.0f} MB] {message}\n"
    )
    sys.stderr.flush()


def run_job(job_json: str) -> None:
    job = json.loads(job_json)
    try:
        import django

        django.setup()
        result = {**job, **_job(job)}
    except Exception as exc:  # reported in the table, so one failure doesn't lose the rest
        traceback.print_exc()
        result = {**job, "error": f"{type(exc).__name__}: {exc}"}
    sys.stdout.write("\n" + json.dumps(result) + "\n")
    sys.stdout.flush()


def _job(job: dict[str, Any]) -> dict[str, Any]:
    from hafan.linkage import baselines, synthetic
    from hafan.linkage.evaluation import pairwise_scores

    records, truth = synthetic.generate(job["size"], seed=job["seed"])
    _progress(f"generated {len(records):,} records")
    data_kb = _peak_kb()
    out: dict[str, Any] = {"pairs_compared": None}
    system = job["system"]
    if system == "exact":
        started = time.perf_counter()
        clusters = baselines.exact_name_dob_clusters(records)
        out.update(train_seconds=0.0, link_seconds=time.perf_counter() - started)
        out["pairs_compared"] = baselines.exact_name_dob_pairs_compared(records)
    elif system == "splink":
        run = baselines.out_of_the_box_splink_run(records, seed=job["seed"])
        clusters = run.clusters
        out.update(train_seconds=run.train_seconds, link_seconds=run.link_seconds)
        peak = _peak_kb()
        out["pairs_compared"] = baselines.out_of_the_box_pairs_compared(records)
        out["peak_kb_before_counting"] = peak
    else:
        clusters = _hafan(job, records, truth, out)
    scores = pairwise_scores(clusters, truth)
    out.update(
        precision=scores.precision,
        recall=scores.recall,
        f1=scores.f1,
        true_pairs=scores.true_pairs,
        predicted_pairs=scores.predicted_pairs,
        correct_pairs=scores.correct_pairs,
        clusters=scores.clusters,
        true_clusters=scores.true_clusters,
        data_kb=data_kb,
    )
    out["peak_kb"] = out.pop("peak_kb_before_counting", None) or _peak_kb()
    return out


def _hafan(
    job: dict[str, Any], records: list[Any], truth: dict[int, str], out: dict[str, Any]
) -> list[set[int]]:
    from hafan.linkage import engine

    started = time.perf_counter()
    model = engine.train_model(records, seed=job["seed"])
    trained = time.perf_counter()
    _progress(f"trained in {trained - started:.1f} s")
    pairs = engine.predict_pairs(model, records, threshold=job["lower"])
    predicted = time.perf_counter()
    _progress(f"predicted {len(pairs):,} pairs at or above {job['lower']} in {predicted - trained:.1f} s")
    clusters: list[set[int]] = engine.cluster(
        pairs, threshold=job["upper"], record_ids=[r.record_id for r in records]
    )
    linked = time.perf_counter()
    _progress(f"clustered in {linked - predicted:.1f} s")
    out.update(
        train_seconds=trained - started,
        link_seconds=linked - trained,
        predict_seconds=predicted - trained,
        cluster_seconds=linked - predicted,
        pairs_at_or_above_lower=len(pairs),
        pairs_in_review_band=sum(1 for p in pairs if p.probability < job["upper"]),
    )
    review = [p for p in pairs if job["lower"] <= p.probability < job["upper"]]
    out["review_band_true_share"] = (
        sum(truth[p.left_id] == truth[p.right_id] for p in review) / len(review) if review else None
    )
    del pairs, review
    out["peak_kb_before_counting"] = _peak_kb()
    out["pairs_compared"], out["pairs_counted_by"] = _hafan_pairs_compared(engine, model, records)
    _progress(f"counted {out['pairs_compared']:,} blocked pairs")
    if job["incremental"]:
        out["incremental"] = _incremental(engine, model, records, truth, job)
    return clusters


def _hafan_pairs_compared(engine: Any, model: Any, records: Sequence[Any]) -> tuple[int | None, str]:
    """Ask the engine if it can count; otherwise Splink's blocking analysis over the engine's own
    prepared rows and the trained settings' prediction blocking rules."""
    for name in ("count_candidate_pairs", "count_pairs", "count_comparisons", "pairs_compared"):
        counter = getattr(engine, name, None)
        if callable(counter):
            return int(counter(model, records)), f"engine.{name}"
    from hafan.linkage.baselines import count_blocked_pairs

    rules = model.settings.get("blocking_rules_to_generate_predictions") or []
    if not rules:
        return None, "no blocking rules in the trained settings"
    import pyarrow as pa

    table = pa.Table.from_pylist([engine.prepare(r) for r in records], schema=engine.ROW_SCHEMA)
    uid = model.settings.get("unique_id_column_name", "unique_id")
    return count_blocked_pairs(table, rules, unique_id_column_name=uid), "Splink's blocking analysis, exact"


def _incremental(
    engine: Any, model: Any, records: list[Any], truth: dict[int, str], job: dict[str, Any]
) -> dict[str, Any]:
    from hafan.linkage.services import CANDIDATE_LIMIT

    rng = random.Random(job["seed"])
    arrivals = rng.sample(records, min(job["incremental"], len(records) // 2))
    arriving = {r.record_id for r in arrivals}
    existing = [r for r in records if r.record_id not in arriving]
    by_id = {r.record_id: r for r in existing}

    started = time.perf_counter()
    index: dict[str, list[int]] = {}
    for record in existing:
        for key in engine.blocking_keys(record):
            index.setdefault(key, []).append(record.record_id)
    index_seconds = time.perf_counter() - started

    people_existing = {truth[r.record_id] for r in existing}
    timings: list[float] = []
    candidates_seen: list[int] = []
    capped = with_match = in_candidates = found = 0
    for record in arrivals:
        t0 = time.perf_counter()
        ids: set[int] = set()
        for key in engine.blocking_keys(record):
            ids.update(index.get(key, ()))
        chosen = sorted(ids)[:CANDIDATE_LIMIT]
        scores = engine.score_candidates(model, record, [by_id[i] for i in chosen])
        timings.append((time.perf_counter() - t0) * 1000)
        candidates_seen.append(len(ids))
        capped += len(ids) > CANDIDATE_LIMIT
        person = truth[record.record_id]
        if person in people_existing:
            with_match += 1
            in_candidates += any(truth[i] == person for i in chosen)
            found += any(
                truth[s.right_id if s.left_id == record.record_id else s.left_id] == person
                and s.probability >= job["lower"]
                for s in scores
            )
    timings.sort()
    return {
        "samples": len(arrivals),
        "p50_ms": statistics.median(timings),
        "p95_ms": timings[max(0, int(len(timings) * 0.95) - 1)],
        "max_ms": timings[-1],
        "index_seconds": index_seconds,
        "keys": len(index),
        "median_candidates": statistics.median(candidates_seen),
        "cap": CANDIDATE_LIMIT,
        "capped": capped,
        "with_match": with_match,
        "match_in_candidates": in_candidates,
        "match_found": found,
    }
