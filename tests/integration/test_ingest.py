"""Agency imports through the command line: every format from its fixtures, then the pipeline's promises.

Validate first, then write; re-running the same file changes nothing; a changed row makes a new version
with the old one kept; a full refresh withdraws what is missing; rejected rows are reported and never
half-written; a file that cannot be trusted imports nothing.
"""

from __future__ import annotations

import csv
import shutil
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from hafan.agencies.models import Agency
from hafan.episodes.models import Episode, EpisodeStatus
from hafan.ingest.models import CodeMapping, ImportRowError, ImportRun, ImportStatus
from hafan.ingest.reading import Source
from hafan.ingest.services import ImportRequest, code_mappings_seed, import_run
from hafan.ingest.vocabularies import PARTNER_CODES, Vocabulary
from hafan.people.models import Child, Fact, SourceRecord, SourceRecordVersion
from hafan.sharing.models import AuditEvent

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "ingest"

# (format, files, agency, mapping, records the fixture holds)
FORMATS: list[tuple[str, list[str], str, str | None, int]] = [
    ("police-csv", ["police/occurrences.csv"], "GWP", None, 12),
    ("police-pole", ["police/pole.json"], "GWP", None, -1),
    ("ssda903", ["ssda903/header.csv", "ssda903/episodes.csv", "ssda903/missing.csv"], "NCC", None, -1),
    ("caselist", ["caselist/caselist.csv"], "NCC", "caselist/caselist.toml", -1),
    ("fhir", ["fhir/bundle.json"], "ABUHB", None, 5),
    ("ctf", ["ctf/pupils.xml"], "NCC", None, 5),
    ("generic", ["generic/people.csv"], "TCBC", "generic/people.toml", -1),
]


@pytest.fixture
def agencies(partnership: dict[str, Agency]) -> dict[str, Agency]:
    for code, mappings in PARTNER_CODES.items():
        code_mappings_seed(partnership[code], mappings)
    return partnership


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """A copy of the fixtures, so that error reports written beside the input land in a temporary folder."""
    target = tmp_path / "ingest"
    shutil.copytree(FIXTURES, target)
    return target


def run_command(
    workdir: Path, fmt: str, files: list[str], agency: str, mapping: str | None, *extra: str
) -> str:
    args: list[str] = [fmt, *(str(workdir / f) for f in files), "--agency", agency, "--no-link", *extra]
    if mapping:
        args += ["--mapping", str(workdir / mapping)]
    from io import StringIO

    out = StringIO()
    call_command("import", *args, stdout=out)
    return out.getvalue()


def state() -> dict[str, Any]:
    """Everything an import writes, as comparable values."""
    return {
        "children": Child.objects.count(),
        "records": sorted(
            SourceRecord.objects.values_list("agency__code", "system", "local_id", "content_hash", "version")
        ),
        "versions": SourceRecordVersion.objects.count(),
        "facts": sorted(
            Fact.objects.values_list("source_record__local_id", "category", "summary", "withdrawn_at")
        ),
        "episodes": sorted(Episode.objects.values_list("occurrence_number", "status", "returned_at")),
    }


@pytest.mark.parametrize(
    ("fmt", "files", "agency", "mapping", "expected"), FORMATS, ids=[f[0] for f in FORMATS]
)
def test_every_format_imports_from_its_fixtures_and_a_rerun_changes_nothing(
    agencies: dict[str, Agency],
    workdir: Path,
    fmt: str,
    files: list[str],
    agency: str,
    mapping: str | None,
    expected: int,
) -> None:
    output = run_command(workdir, fmt, files, agency, mapping)
    run = ImportRun.objects.get()
    assert run.status == ImportStatus.SUCCEEDED, run.rejection_reason
    assert run.records_new > 0
    assert run.records_rejected == 0, list(run.row_errors.values_list("location", "field", "reason"))
    if expected > 0:
        assert run.records_new == expected
    assert f"new {run.records_new}," in output
    assert SourceRecord.objects.filter(agency__code=agency).count() == run.records_new
    assert SourceRecordVersion.objects.filter(import_run=run).count() == run.records_new
    # Every record is attached to a child; every fact it states carries its source.
    assert not SourceRecord.objects.filter(child__isnull=True).exists()
    assert Fact.objects.filter(agency__code=agency).exclude(source="").count() == Fact.objects.count()
    before = state()

    run_command(workdir, fmt, files, agency, mapping)
    again = ImportRun.objects.latest("id")
    assert (again.records_new, again.records_changed, again.records_unchanged) == (0, 0, run.records_new)
    assert state() == before
    assert not (workdir / f"{files[0]}.errors.csv").exists()


def test_police_occurrences_become_episodes_facts_and_one_child_per_person(
    agencies: dict[str, Agency], workdir: Path
) -> None:
    run_command(workdir, "police-csv", ["police/occurrences.csv"], "GWP", None)
    records = SourceRecord.objects.filter(agency__code="GWP")
    people = set(records.values_list("person_ref", flat=True))
    # Records are per occurrence; the force's person id keeps one person's occurrences on one child.
    assert Child.objects.count() == len(people) < records.count()
    for ref in people:
        assert records.filter(person_ref=ref).values("child").distinct().count() == 1
    assert Episode.objects.filter(source_agency__code="GWP").count() == records.count()
    episode = Episode.objects.exclude(returned_at=None).first()
    assert episode is not None and episode.status == EpisodeStatus.CLOSED
    assert episode.reference == f"GWP-{episode.occurrence_number}"
    assert Fact.objects.filter(category="warning_marker", agency__code="GWP").exists()
    # Welsh names survive byte for byte.
    assert Child.objects.filter(given_name="Siân").exists()
    assert Child.objects.filter(given_name="Llŷr").exists()


@pytest.mark.parametrize(
    "fixture",
    ["police/occurrences_cp1252.csv", "police/occurrences_bom.csv"],
    ids=["windows-1252", "utf-8-bom"],
)
def test_encodings_keep_welsh_names(agencies: dict[str, Agency], workdir: Path, fixture: str) -> None:
    run_command(workdir, "police-csv", [fixture], "GWP", None)
    assert ImportRun.objects.get().status == ImportStatus.SUCCEEDED
    names = set(SourceRecord.objects.values_list("given_name", flat=True))
    assert names & {"Siân", "Gwenllïan", "Llŷr"}


def test_a_changed_row_makes_a_new_version_and_keeps_the_old(
    agencies: dict[str, Agency], workdir: Path
) -> None:
    run_command(workdir, "police-csv", ["police/occurrences.csv"], "GWP", None)
    run_command(workdir, "police-csv", ["police/occurrences_changed.csv"], "GWP", None)
    second = ImportRun.objects.latest("id")
    assert second.records_changed == 1
    assert second.records_new == 0
    changed = SourceRecord.objects.get(version=2)
    versions = list(changed.versions.order_by("version"))
    assert [v.version for v in versions] == [1, 2]
    assert versions[0].payload != versions[1].payload
    assert versions[0].content_hash != versions[1].content_hash == changed.content_hash
    # Nothing was withdrawn: the file was not declared a full refresh.
    assert not SourceRecord.objects.exclude(withdrawn_at=None).exists()


def test_a_full_refresh_withdraws_what_is_missing_and_keeps_it(
    agencies: dict[str, Agency], workdir: Path
) -> None:
    run_command(workdir, "police-csv", ["police/occurrences.csv"], "GWP", None)
    total = SourceRecord.objects.count()
    run_command(workdir, "police-csv", ["police/occurrences_changed.csv"], "GWP", None, "--full-refresh")
    run = ImportRun.objects.latest("id")
    assert run.records_withdrawn == 1
    assert SourceRecord.objects.count() == total  # kept, not deleted
    withdrawn = SourceRecord.objects.get(withdrawn_at__isnull=False)
    # Its facts are no longer shown, but they are still there.
    assert Fact.objects.filter(source_record=withdrawn).exists()
    # Back in the next full file: restored.
    run_command(workdir, "police-csv", ["police/occurrences.csv"], "GWP", None, "--full-refresh")
    withdrawn.refresh_from_db()
    assert withdrawn.withdrawn_at is None


def test_a_generic_changed_file_versions_and_withdraws(agencies: dict[str, Agency], workdir: Path) -> None:
    run_command(workdir, "generic", ["generic/people.csv"], "TCBC", "generic/people.toml")
    before = SourceRecord.objects.count()
    run_command(
        workdir, "generic", ["generic/people_changed.csv"], "TCBC", "generic/people.toml", "--full-refresh"
    )
    run = ImportRun.objects.latest("id")
    assert (run.records_changed, run.records_withdrawn, run.records_new) == (1, 1, 0)
    assert SourceRecord.objects.count() == before


def test_rejected_rows_are_reported_beside_the_input_and_never_written(
    agencies: dict[str, Agency], workdir: Path
) -> None:
    output = run_command(workdir, "police-csv", ["police/occurrences_errors.csv"], "GWP", None)
    run = ImportRun.objects.get()
    assert run.status == ImportStatus.SUCCEEDED
    assert run.records_rejected > 0
    assert "rejected" in output
    report = workdir / "police" / "occurrences_errors.csv.errors.csv"
    with report.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == ImportRowError.objects.filter(run=run).count() > 0
    assert {"location", "field", "reason", "value"} <= set(rows[0])
    # The formula cell is neutralised in the report: a spreadsheet opening it runs nothing.
    assert not any(r["value"].startswith(("=", "+", "@")) for r in rows)
    assert any("formula" in r["reason"] for r in rows)
    # The rejected rows' occurrences were not written, in any table.
    bad_lines = {r["location"] for r in rows}
    assert SourceRecord.objects.count() == run.records_new
    assert run.records_new + run.records_rejected == run.rows_total
    assert bad_lines


def test_an_unmapped_code_is_reported_then_imported_once_mapped(
    agencies: dict[str, Agency], workdir: Path
) -> None:
    # A force that labels its grades its own way: "Amber" means nothing until an administrator maps it.
    source = workdir / "police" / "occurrences.csv"
    text = source.read_text(encoding="utf-8")
    first_grade = next(csv.DictReader(text.splitlines()))["risk_grade"]
    source.write_text(text.replace(f",{first_grade},", ",Amber,", 1), encoding="utf-8")
    run_command(workdir, "police-csv", ["police/occurrences.csv"], "GWP", None)
    run = ImportRun.objects.get()
    assert run.records_rejected == 1
    error = run.row_errors.get()
    assert error.field == "risk_grade" and "Amber" in error.reason and "mapping" in error.reason
    CodeMapping.objects.create(
        agency=agencies["GWP"], vocabulary=Vocabulary.RISK_LABEL, source_code="Amber", hafan_value="medium"
    )
    run_command(workdir, "police-csv", ["police/occurrences.csv"], "GWP", None)
    again = ImportRun.objects.latest("id")
    assert (again.records_new, again.records_rejected) == (1, 0)
    assert Episode.objects.filter(recorded_risk_grade="medium").exists()


def test_a_dry_run_counts_and_writes_nothing(agencies: dict[str, Agency], workdir: Path) -> None:
    run_command(workdir, "police-csv", ["police/occurrences.csv"], "GWP", None, "--dry-run")
    run = ImportRun.objects.get()
    assert run.status == ImportStatus.DRY_RUN
    assert run.records_new == 12
    assert SourceRecord.objects.count() == Child.objects.count() == Episode.objects.count() == 0


@pytest.mark.parametrize(
    ("fmt", "fixture", "reason"),
    [
        ("fhir", "fhir/truncated.json", "malformed"),
        ("fhir", "fhir/not_a_bundle.json", "Bundle"),
        ("ctf", "ctf/hostile/billion_laughs.xml", "DTD"),
        ("ctf", "ctf/hostile/xxe_file.xml", "DTD"),
        ("ctf", "ctf/hostile/truncated.xml", "malformed"),
    ],
)
def test_an_untrustworthy_file_imports_nothing_and_says_why(
    agencies: dict[str, Agency], workdir: Path, fmt: str, fixture: str, reason: str
) -> None:
    agency = "ABUHB" if fmt == "fhir" else "NCC"
    with pytest.raises(CommandError) as refused:
        run_command(workdir, fmt, [fixture], agency, None)
    assert "nothing imported" in str(refused.value)
    run = ImportRun.objects.get()
    assert run.status == ImportStatus.REJECTED
    assert reason.lower() in run.rejection_reason.lower()
    assert SourceRecord.objects.count() == Child.objects.count() == 0
    assert (workdir / f"{fixture}.errors.csv").exists()


def test_a_file_rejected_late_imports_nothing(agencies: dict[str, Agency], tmp_path: Path) -> None:
    """Valid rows first, then a broken quote at the end: the first rows are not written either."""
    good = (FIXTURES / "police" / "occurrences.csv").read_text(encoding="utf-8")
    broken = tmp_path / "late.csv"
    broken.write_text(good + 'MP-1,"unterminated\n', encoding="utf-8")
    with pytest.raises(CommandError):
        call_command("import", "police-csv", str(broken), "--agency", "GWP", "--no-link")
    assert SourceRecord.objects.count() == 0
    assert ImportRun.objects.get().status == ImportStatus.REJECTED


def test_each_import_is_audited_with_its_counts(agencies: dict[str, Agency], workdir: Path) -> None:
    run_command(workdir, "police-csv", ["police/occurrences.csv"], "GWP", None)
    run = ImportRun.objects.get()
    event = AuditEvent.objects.get(target_type="import_run", target_id=str(run.public_id))
    assert event.detail["new"] == 12 and event.detail["agency"] == "GWP"
    assert event.purpose == "agency_feed"


def test_a_crash_mid_import_keeps_whole_batches_and_a_rerun_completes_it(
    agencies: dict[str, Agency], workdir: Path, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hafan.ingest import services

    settings.HAFAN_IMPORT_BATCH_SIZE = 5
    real = services._write_facts
    calls = {"n": 0}

    def dies_in_the_second_batch(*args: Any, **kwargs: Any) -> int:
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("the worker died")
        return real(*args, **kwargs)

    monkeypatch.setattr(services, "_write_facts", dies_in_the_second_batch)
    request = ImportRequest(
        format="police-csv",
        sources=[Source.from_path(str(workdir / "police" / "occurrences.csv"))],
        agency=agencies["GWP"],
    )
    with pytest.raises(RuntimeError):
        import_run(request)
    failed = ImportRun.objects.get()
    assert failed.status == ImportStatus.FAILED
    # The first batch is whole; nothing of the second is there (no record without its facts and episode).
    assert SourceRecord.objects.count() == 5
    assert Episode.objects.count() == 5
    monkeypatch.setattr(services, "_write_facts", real)
    again = import_run(request)
    assert (again.records_unchanged, again.records_new) == (5, 7)
    assert SourceRecord.objects.count() == Episode.objects.count() == 12


def test_the_command_refuses_an_unknown_agency_and_a_missing_file(
    agencies: dict[str, Agency], workdir: Path
) -> None:
    with pytest.raises(CommandError, match="No agency"):
        call_command("import", "police-csv", str(workdir / "police" / "occurrences.csv"), "--agency", "NOPE")
    with pytest.raises(CommandError, match="No such file"):
        call_command("import", "police-csv", str(workdir / "nope.csv"), "--agency", "GWP")
    with pytest.raises(CommandError, match="mapping"):
        call_command(
            "import", "generic", str(workdir / "generic" / "people.csv"), "--agency", "TCBC", "--no-link"
        )


def test_a_duplicate_beyond_the_adapters_window_is_still_refused_when_written(
    agencies: dict[str, Agency], workdir: Path, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Adapters remember only recent ids (flat memory); the write pass catches any duplicate in the file."""
    from hafan.ingest import mapping
    from hafan.ingest.adapters.base import RecentIds

    monkeypatch.setattr(mapping, "RecentIds", lambda: RecentIds(window=1))
    settings.HAFAN_IMPORT_BATCH_SIZE = 2
    source = workdir / "generic" / "people.csv"
    lines = source.read_text(encoding="utf-8").splitlines()
    header, first, rest = lines[0], lines[1], lines[2:]
    changed_first = first.replace(first.split(",")[1], "Changed", 1)
    source.write_text("\n".join([header, first, *rest, changed_first]) + "\n", encoding="utf-8")
    run_command(workdir, "generic", ["generic/people.csv"], "TCBC", "generic/people.toml")
    run = ImportRun.objects.get()
    assert run.records_new == len(rest) + 1
    # The changed copy, far from the first, is refused at write time and never overwrites the first.
    assert run.records_rejected == 1, list(run.row_errors.values_list("location", "reason"))
    error = run.row_errors.get()
    assert "appears more than once" in error.reason
    assert error.location.endswith(f"line {len(lines) + 1}")
    assert not SourceRecord.objects.filter(given_name="Changed").exists()
    assert SourceRecord.objects.count() == len(rest) + 1


def test_recent_ids_stay_bounded() -> None:
    from hafan.ingest.adapters.base import RecentIds

    seen = RecentIds(window=3)
    for i in range(10):
        seen[str(i)] = i
    assert list(seen) == ["7", "8", "9"]


def test_the_command_refuses_a_user_who_does_not_administer_the_agency(
    agencies: dict[str, Agency], staff: dict[str, Any], workdir: Path
) -> None:
    # The demo administrator belongs to Gwent Police, not to the health board.
    with pytest.raises(CommandError, match="not an administrator of ABUHB"):
        call_command(
            "import",
            "fhir",
            str(workdir / "fhir" / "bundle.json"),
            "--agency",
            "ABUHB",
            "--user",
            "admin",
            "--no-link",
        )
    assert not ImportRun.objects.exists()
    assert SourceRecord.objects.count() == 0
