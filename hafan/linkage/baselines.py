"""What the Hafan model is measured against (the linkage benchmark, `hafan bench_linkage`).

- `exact_name_dob_clusters`: what agencies do today. Hub staff search each system by name and date of
  birth; a record "matches" when given name, family name and date of birth agree exactly (ignoring
  case and surrounding spaces). A record without a date of birth matches nothing.
- `out_of_the_box_splink`: a plain Splink 5 model on DuckDB, as Splink's own tutorials set one up:
  NameComparison on first name and surname, DateOfBirthComparison, ExactMatch on postcode; blocking
  on any two of first name, surname and date of birth; the tutorials' training (probability two
  records match from a deterministic rule, u by random sampling, m by EM on two blocking rules);
  clustered at probability 0.95. Its only data preparation is what every tutorial dataset already
  has: lower case, trimmed, empty strings as nulls.

This module imports Splink (only hafan.linkage may).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from hafan.linkage.evaluation import pairs_in
from hafan.linkage.records import LinkRecord

OUT_OF_THE_BOX_THRESHOLD = 0.95


def _key(record: LinkRecord) -> tuple[str, str, str] | None:
    if record.date_of_birth is None:
        return None
    return (
        record.given_name.strip().casefold(),
        record.family_name.strip().casefold(),
        record.date_of_birth.isoformat(),
    )


def exact_name_dob_clusters(records: Sequence[LinkRecord]) -> list[set[int]]:
    groups: dict[tuple[str, str, str] | tuple[int], set[int]] = {}
    for record in records:
        key = _key(record) or (record.record_id,)
        groups.setdefault(key, set()).add(record.record_id)
    return list(groups.values())


def exact_name_dob_pairs_compared(records: Sequence[LinkRecord]) -> int:
    """The exact baseline compares nothing pair by pair (it groups by a key); the pairs it implicitly
    accepts are those sharing the key. Reported as its "pairs compared"."""
    sizes: dict[tuple[str, str, str], int] = {}
    for record in records:
        key = _key(record)
        if key is not None:
            sizes[key] = sizes.get(key, 0) + 1
    return sum(pairs_in(n) for n in sizes.values())


@dataclass
class SplinkRun:
    clusters: list[set[int]]
    train_seconds: float
    link_seconds: float


def _nullable(value: str) -> str | None:
    value = value.strip().lower()
    return value or None


def _out_of_the_box_blocking() -> list[Any]:
    """Blocking on any two of first name, surname and date of birth."""
    from splink import block_on  # noqa: TID251 - baselines run Splink too

    return [block_on("first_name", "surname"), block_on("first_name", "dob"), block_on("surname", "dob")]


def _out_of_the_box_table(records: Sequence[LinkRecord]) -> Any:
    import pyarrow as pa

    return pa.table(
        {
            "unique_id": pa.array([r.record_id for r in records], pa.int64()),
            "first_name": pa.array([_nullable(r.given_name) for r in records], pa.string()),
            "surname": pa.array([_nullable(r.family_name) for r in records], pa.string()),
            "dob": pa.array([r.date_of_birth for r in records], pa.date32()),
            "postcode": pa.array([_nullable(r.postcode) for r in records], pa.string()),
        }
    )


def out_of_the_box_splink(records: Sequence[LinkRecord], *, seed: int) -> list[set[int]]:
    return out_of_the_box_splink_run(records, seed=seed).clusters


def out_of_the_box_splink_run(records: Sequence[LinkRecord], *, seed: int) -> SplinkRun:
    """Train and run the tutorial model, timing training and linking (predict + cluster) apart."""
    import splink.comparison_library as cl  # noqa: TID251 - baselines run Splink too
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on  # noqa: TID251

    db_api = DuckDBAPI()
    df = db_api.register(_out_of_the_box_table(records), dataset_display_name="records")
    settings = SettingsCreator(
        link_type="dedupe_only",
        comparisons=[
            cl.NameComparison("first_name"),
            cl.NameComparison("surname"),
            cl.DateOfBirthComparison("dob", input_is_string=False),
            cl.ExactMatch("postcode"),
        ],
        blocking_rules_to_generate_predictions=_out_of_the_box_blocking(),
    )
    started = time.perf_counter()
    linker = Linker(df, settings, log_level=logging.ERROR)  # not the tutorial's max_pairs warning
    linker.training.estimate_probability_two_random_records_match(
        [block_on("first_name", "surname", "dob")], recall=0.7
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=1e6, seed=seed)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("first_name", "surname"))
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("dob"))
    trained = time.perf_counter()
    predictions = linker.inference.predict(threshold_match_probability=OUT_OF_THE_BOX_THRESHOLD)
    clustered = linker.clustering.cluster_pairwise_predictions_at_threshold(
        predictions, OUT_OF_THE_BOX_THRESHOLD
    )
    rows = clustered.as_duckdbpyrelation().select("cluster_id, unique_id").fetchall()
    linked = time.perf_counter()
    by_cluster: dict[object, set[int]] = {}
    for cluster_id, unique_id in rows:
        by_cluster.setdefault(cluster_id, set()).add(int(unique_id))
    return SplinkRun(
        clusters=list(by_cluster.values()),  # Splink clusters every input record, singletons included
        train_seconds=trained - started,
        link_seconds=linked - trained,
    )


def out_of_the_box_pairs_compared(records: Sequence[LinkRecord]) -> int:
    return count_blocked_pairs(_out_of_the_box_table(records), _out_of_the_box_blocking())


def count_blocked_pairs(
    table_or_rows: Any, blocking_rules: Iterable[Any], *, unique_id_column_name: str = "unique_id"
) -> int:
    """The distinct pairs a dedupe model with these prediction blocking rules scores, counted exactly by
    Splink's blocking analysis (a pair that several rules find counts once). `table_or_rows` is a
    pyarrow table or a list of row dicts (e.g. the engine's prepared records); rules as Splink takes
    them (SQL strings, block_on(...), or the dicts in a trained settings JSON)."""
    import pyarrow as pa
    from splink import DuckDBAPI  # noqa: TID251 - baselines run Splink too
    from splink.blocking_analysis import count_comparisons_from_blocking_rules  # noqa: TID251

    table = (
        table_or_rows if isinstance(table_or_rows, pa.Table) else pa.Table.from_pylist(list(table_or_rows))
    )
    df = DuckDBAPI().register(table)
    counted = count_comparisons_from_blocking_rules(
        df,
        blocking_rules=list(blocking_rules),
        link_type="dedupe_only",
        unique_id_column_name=unique_id_column_name,
        record_sample_proportion=1.0,
    )
    return int(counted[-1]["cumulative_comparison_count"]) if counted else 0
