"""Idempotent ingestion as properties (reliability.md test 16), end to end through `import_run`.

For any subset, order and duplication of the generic fixture's rows: importing a file twice leaves the
state of the first import; a shuffled, renamed copy adds nothing and reports every record unchanged;
two overlapping files give their union; an id that appears twice with different content is a row
error and is written once. Two imports of the same police file at the same time write every record
exactly once. Each hypothesis example runs in a transaction rolled back at its end, so examples start
from the same state.
"""

from __future__ import annotations

import contextlib
import csv
import io
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.db.models import Count
from hypothesis import HealthCheck, given
from hypothesis import settings as fuzz_settings
from hypothesis import strategies as st

from hafan.agencies.models import Agency
from hafan.agencies.services import partnership_seed
from hafan.episodes.models import Episode
from hafan.ingest.models import ImportRun, ImportStatus
from hafan.ingest.reading import Source
from hafan.ingest.services import ImportRequest, code_mappings_seed, import_run
from hafan.ingest.vocabularies import PARTNER_CODES
from hafan.people.models import Child, Fact, SourceRecord, SourceRecordVersion

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "ingest"
MAPPING = (FIXTURES / "generic" / "people.toml").read_text(encoding="utf-8")
HEADER, *ROWS = list(
    csv.reader(io.StringIO((FIXTURES / "generic" / "people.csv").read_text(encoding="utf-8")))
)
IDS = [row[0] for row in ROWS]
PROPERTY = fuzz_settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

# Any subset, order and duplication of the fixture's rows, as indexes into ROWS.
row_picks = st.lists(st.integers(0, len(ROWS) - 1), max_size=2 * len(ROWS))


@pytest.fixture
def agencies(partnership: dict[str, Agency]) -> dict[str, Agency]:
    for code, mappings in PARTNER_CODES.items():
        code_mappings_seed(partnership[code], mappings)
    return partnership


@contextlib.contextmanager
def rolled_back() -> Iterator[None]:
    """One hypothesis example's database work, undone at its end (so each example starts afresh)."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


def csv_bytes(rows: Sequence[Sequence[str]], header: Sequence[str] = HEADER) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def generic_import(agency: Agency, data: bytes, name: str = "people.csv") -> ImportRun:
    run = import_run(
        ImportRequest(
            format="generic", sources=[Source.from_bytes(name, data)], agency=agency, mapping_text=MAPPING
        )
    )
    assert run.status == ImportStatus.SUCCEEDED, run.rejection_reason
    return run


def state() -> dict[str, Any]:
    """What the imports wrote, comparable between two ways of getting there."""
    return {
        "records": sorted(SourceRecord.objects.values_list("system", "local_id", "content_hash", "version")),
        "versions": SourceRecordVersion.objects.count(),
        "facts": Fact.objects.count(),
        "live_facts": sorted(
            Fact.objects.filter(withdrawn_at=None).values_list(
                "source_record__local_id", "category", "summary"
            )
        ),
        "children": Child.objects.count(),
    }


def counts(run: ImportRun) -> tuple[int, int, int, int]:
    return run.records_new, run.records_changed, run.records_unchanged, run.records_rejected


def first_ids(picks: Sequence[int]) -> list[str]:
    """The distinct ids of the picked rows, in file order."""
    return list(dict.fromkeys(IDS[i] for i in picks))


@PROPERTY
@given(picks=row_picks)
def test_importing_any_file_twice_leaves_the_state_of_the_first_import(
    agencies: dict[str, Agency], picks: list[int]
) -> None:
    with rolled_back():
        data = csv_bytes([ROWS[i] for i in picks])
        distinct = len(first_ids(picks))
        repeats = len(picks) - distinct  # a row whose id already appeared: an error on its line
        first = generic_import(agencies["TCBC"], data)
        assert counts(first) == (distinct, 0, 0, repeats)
        after_first = state()
        assert [r[1] for r in after_first["records"]] == sorted(first_ids(picks))
        assert {r[3] for r in after_first["records"]} <= {1}

        second = generic_import(agencies["TCBC"], data)
        assert counts(second) == (0, 0, distinct, repeats)
        assert state() == after_first


@PROPERTY
@given(
    rows=st.permutations(range(len(ROWS))),
    columns=st.permutations(range(len(HEADER))),
    name=st.from_regex(r"[a-z][a-z0-9_-]{0,20}\.csv", fullmatch=True),
    crlf=st.booleans(),
)
def test_a_shuffled_renamed_copy_adds_nothing_and_reports_every_record_unchanged(
    agencies: dict[str, Agency], rows: list[int], columns: list[int], name: str, crlf: bool
) -> None:
    with rolled_back():
        original = generic_import(agencies["TCBC"], csv_bytes(ROWS))
        assert counts(original) == (len(ROWS), 0, 0, 0)
        before = state()
        header = [HEADER[c] for c in columns]
        shuffled = csv_bytes([[ROWS[r][c] for c in columns] for r in rows], header)
        if crlf:
            shuffled = shuffled.replace(b"\n", b"\r\n")
        copy = generic_import(agencies["TCBC"], shuffled, name=name)
        assert counts(copy) == (0, 0, len(ROWS), 0)
        assert state() == before


@PROPERTY
@given(first=row_picks, second=row_picks)
def test_two_overlapping_files_give_their_union(
    agencies: dict[str, Agency], first: list[int], second: list[int]
) -> None:
    with rolled_back():
        generic_import(agencies["TCBC"], csv_bytes([ROWS[i] for i in first]))
        later = generic_import(agencies["TCBC"], csv_bytes([ROWS[i] for i in second]))
        already = set(first_ids(first))
        assert later.records_new == len(set(first_ids(second)) - already)
        assert later.records_unchanged == len(set(first_ids(second)) & already)
        in_two_steps = state()
    with rolled_back():
        # The same rows in one file, each once.
        union = sorted(set(first) | set(second))
        generic_import(agencies["TCBC"], csv_bytes([ROWS[i] for i in union]))
        in_one_step = state()
    assert in_two_steps == in_one_step
    assert [r[1] for r in in_one_step["records"]] == sorted({IDS[i] for i in first + second})


@PROPERTY
@given(
    picks=st.lists(st.integers(0, len(ROWS) - 1), min_size=1, max_size=len(ROWS), unique=True),
    data=st.data(),
)
def test_an_id_twice_with_different_content_is_a_row_error_and_written_once(
    agencies: dict[str, Agency], picks: list[int], data: st.DataObject
) -> None:
    with rolled_back():
        rows = [list(ROWS[i]) for i in picks]
        twin_of = data.draw(st.sampled_from(rows))
        twin = list(twin_of)
        column = data.draw(st.sampled_from([HEADER.index(c) for c in ("First name", "Last name", "Address")]))
        twin[column] = f"{twin[column]} Newydd"
        twin[0] = data.draw(st.sampled_from([twin[0], f" {twin[0]}", f"{twin[0]} "]))  # the same id, padded
        at = data.draw(st.integers(rows.index(twin_of) + 1, len(rows)))
        rows.insert(at, twin)
        run = generic_import(agencies["TCBC"], csv_bytes(rows))
        assert counts(run) == (len(picks), 0, 0, 1)
        error = run.row_errors.get()
        assert error.location == f"people.csv line {at + 2}"
        assert error.field == "Ref" and "already appears" in error.reason
        record = SourceRecord.objects.get(local_id=twin_of[0])
        assert record.version == 1 and record.versions.count() == 1
        assert (record.given_name, record.family_name) == (twin_of[1], twin_of[2])
        assert "Newydd" not in str(record.versions.get().payload)
        duplicated = SourceRecord.objects.values("system", "local_id").annotate(n=Count("id")).filter(n__gt=1)
        assert not duplicated.exists()


# Two imports of the same file at the same time --------------------------------------------------------------

DATABASE = django_settings.DATABASES["default"]
# SQLite serialises writers because config/settings.py makes every transaction BEGIN IMMEDIATE: with
# SQLite's default (DEFERRED), two imports that have both read cannot both write, and one would fail.


def test_sqlite_transactions_take_the_write_lock_when_they_begin() -> None:
    if DATABASE["ENGINE"].endswith("sqlite3"):
        assert DATABASE["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    else:
        assert DATABASE["ENGINE"].endswith("postgresql")


@pytest.fixture
def shared_database(transactional_db: Any, tmp_path: Path) -> Iterator[dict[str, Agency]]:
    """The partnership in a database that two connections can write to at once.

    On PostgreSQL, the test database. On SQLite, a file database with the hub's own connection options
    (WAL, busy timeout, transaction mode), as the hub's SQLite deployments use: the in-memory test
    database (shared cache) refuses a second connection's access to a locked table outright, whatever
    the application does."""
    if connection.vendor != "sqlite":
        yield agencies_seeded()
        return
    memory_name = DATABASE["NAME"]
    memory = connections[DEFAULT_DB_ALIAS]
    DATABASE["NAME"] = str(tmp_path / "hafan.sqlite3")  # what every new connection (each thread's) opens
    connections[DEFAULT_DB_ALIAS] = connections.create_connection(DEFAULT_DB_ALIAS)
    try:
        call_command("migrate", verbosity=0, interactive=False)
        yield agencies_seeded()
    finally:
        connections[DEFAULT_DB_ALIAS].close()
        DATABASE["NAME"] = memory_name
        connections[DEFAULT_DB_ALIAS] = memory


def agencies_seeded() -> dict[str, Agency]:
    agencies = {a.code: a for a in partnership_seed()}
    for code, mappings in PARTNER_CODES.items():
        code_mappings_seed(agencies[code], mappings)
    return agencies


def test_two_concurrent_imports_of_the_same_file_write_every_record_once(
    shared_database: dict[str, Agency], settings: Any
) -> None:
    """Each import in its own thread, with its own database connection. On PostgreSQL the agency's import
    lock (services._write) orders their batches; on SQLite the database serialises the writes."""
    settings.HAFAN_IMPORT_BATCH_SIZE = 3  # four batches each, so that the two imports interleave
    path = FIXTURES / "police" / "occurrences.csv"
    request = ImportRequest(
        format="police-csv", sources=[Source.from_path(str(path))], agency=shared_database["GWP"]
    )
    start = threading.Barrier(2)
    runs: list[ImportRun] = []
    failures: list[BaseException] = []

    def one_import() -> None:
        try:
            start.wait(timeout=10)
            runs.append(import_run(request))
        except BaseException as exc:  # raised below, in the test's own thread
            failures.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=one_import) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(t.is_alive() for t in threads)
    if failures:
        raise failures[0]
    assert len(runs) == 2
    for run in runs:
        run.refresh_from_db()
        assert run.status == ImportStatus.SUCCEEDED, run.rejection_reason
        assert (run.records_changed, run.records_rejected) == (0, 0)
        assert run.records_new + run.records_unchanged == 12  # each saw every record once
    assert sum(run.records_new for run in runs) == 12  # and between them they wrote each once
    records = SourceRecord.objects.filter(agency__code="GWP")
    assert records.count() == records.values("system", "local_id").distinct().count() == 12
    assert SourceRecordVersion.objects.count() == 12
    assert sorted(Episode.objects.values_list("occurrence_number", flat=True)) == sorted(
        records.values_list("local_id", flat=True)
    )
    # One child per person, as a single import gives.
    assert Child.objects.count() == records.values("person_ref").distinct().count()
    facts = list(Fact.objects.values_list("source_record_id", "category", "summary"))
    assert facts and len(facts) == len(set(facts))
