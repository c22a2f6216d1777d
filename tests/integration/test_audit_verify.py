"""The audit chain on the real database: `hafan audit_verify` finds every kind of tampering done with raw SQL,
`hafan audit_checkpoint` catches a shortened or rewritten chain, request ids reach the entries, and on
PostgreSQL neither the application's role nor the table's owner can rewrite or empty the table."""

from __future__ import annotations

import datetime
import io
import itertools
import threading
import uuid
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.db import DatabaseError, ProgrammingError, connection, connections, transaction
from django.db.migrations.executor import MigrationExecutor
from django.db.models import ProtectedError
from django.test import Client
from django.urls import reverse

from hafan.accounts.services import api_token_issue
from hafan.core.vocabulary import Purpose
from hafan.episodes.selectors import episode_get_for_user
from hafan.sharing import chain
from hafan.sharing.audit import audit_record, chain_entries
from hafan.sharing.models import AuditAction, AuditEvent

POSTGRESQL = connection.vendor == "postgresql"
postgresql_only = pytest.mark.skipif(not POSTGRESQL, reason="PostgreSQL's roles, triggers and locks")


@pytest.fixture(autouse=True)
def checkpoint_file(settings: Any, tmp_path: Path) -> Path:
    settings.HAFAN_AUDIT_CHECKPOINT_FILE = tmp_path / "checkpoints.log"
    return settings.HAFAN_AUDIT_CHECKPOINT_FILE


def run(command: str, *args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command(command, *args, stdout=out, stderr=err)
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    return code, out.getvalue(), err.getvalue()


def write_entries(actor: Any, n: int) -> list[AuditEvent]:
    return [
        audit_record(
            actor=actor,
            action=AuditAction.VIEW,
            purpose=Purpose.MISSING_EPISODE,
            target_type="episode",
            target_id=uuid.uuid4(),
            child_public_id=uuid.uuid4(),
            detail={"n": i, "codes": ["a", "b"]},
        )
        for i in range(n)
    ]


def tamper(*statements: tuple[str, list[Any]]) -> None:
    """Raw SQL, as someone with direct access to the database would. SQLite has no trigger to stop it; on
    PostgreSQL the triggers are switched off (as the owner or a superuser could) and back on."""
    with transaction.atomic(), connection.cursor() as cursor:
        if POSTGRESQL:
            # The test's own writes leave deferred foreign-key checks pending, and PostgreSQL will not alter a
            # table with pending trigger events: run them now.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("ALTER TABLE sharing_auditevent DISABLE TRIGGER ALL")
        for sql, params in statements:
            cursor.execute(sql, params)
        if POSTGRESQL:
            cursor.execute("ALTER TABLE sharing_auditevent ENABLE TRIGGER ALL")
            # tests/conftest.py keeps TRUNCATE allowed in the test database.
            cursor.execute("ALTER TABLE sharing_auditevent DISABLE TRIGGER sharing_auditevent_no_truncate")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def renumber(from_seq: int, by: int) -> list[tuple[str, list[Any]]]:
    """Shift entries from `from_seq` on, in two steps so the unique seq never collides midway."""
    return [
        ("UPDATE sharing_auditevent SET seq = -seq WHERE seq >= %s", [from_seq]),
        ("UPDATE sharing_auditevent SET seq = -seq + %s WHERE seq < 0", [by]),
    ]


@pytest.fixture
def written(coordinator: Any) -> list[AuditEvent]:
    write_entries(coordinator, 8)
    return list(AuditEvent.objects.order_by("seq"))


# Appending


def test_entries_are_chained_as_they_are_written(written: list[AuditEvent]) -> None:
    assert [e.seq for e in written] == list(range(1, len(written) + 1))
    assert written[0].prev_hash == chain.GENESIS
    for before, after in itertools.pairwise(written):
        assert after.prev_hash == before.entry_hash
    stored = list(chain_entries())
    assert all(chain.entry_hash(e) == e["entry_hash"] for e in stored)


def test_an_audited_write_that_rolls_back_leaves_no_gap(coordinator: Any) -> None:
    write_entries(coordinator, 2)
    with pytest.raises(RuntimeError), transaction.atomic():
        write_entries(coordinator, 3)
        raise RuntimeError("the service failed after auditing")
    write_entries(coordinator, 1)
    assert list(AuditEvent.objects.order_by("seq").values_list("seq", flat=True)) == list(
        range(1, AuditEvent.objects.count() + 1)
    )
    assert run("audit_verify")[0] == 0


def test_detail_is_hashed_as_the_database_gives_it_back(coordinator: Any) -> None:
    grant = uuid.uuid4()
    expires = datetime.datetime(2026, 7, 1, 12, 0, tzinfo=datetime.UTC)
    event = audit_record(
        actor=coordinator,
        action=AuditAction.BREAK_GLASS,
        purpose=Purpose.MISSING_EPISODE,
        target_type="child",
        target_id=grant,
        detail={"grant": grant, "expires": expires, "minutes": 240.0, "codes": ("a", "b")},
    )
    stored = AuditEvent.objects.get(pk=event.pk)
    assert stored.detail == {
        "grant": str(grant),
        "expires": "2026-07-01T12:00:00Z",
        "minutes": 240.0,
        "codes": ["a", "b"],
    }
    assert run("audit_verify")[0] == 0


# audit_verify on a clean chain


def test_a_clean_chain_verifies(written: list[AuditEvent]) -> None:
    code, out, err = run("audit_verify")
    assert code == 0, err
    head = written[-1]
    assert f"Audit chain verified: {len(written)} entries, head {head.entry_hash}" in out
    assert "No checkpoints" in out


def test_an_empty_trail_verifies(db: Any) -> None:
    assert not AuditEvent.objects.exists()
    code, out, _ = run("audit_verify")
    assert code == 0
    assert f"Audit chain verified: 0 entries, head {chain.GENESIS}" in out


# Tampering with raw SQL


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("role", "forged"),
        ("actor_username", "someone-else"),
        ("target_id", "another-record"),
        ("purpose", "audit"),
        ("request_id", "00000000-0000-0000-0000-000000000000"),
        ("entry_hash", "f" * 64),
    ],
)
def test_a_changed_entry_is_found(written: list[AuditEvent], column: str, value: str) -> None:
    tamper((f"UPDATE sharing_auditevent SET {column} = %s WHERE seq = 3", [value]))  # noqa: S608
    code, out, err = run("audit_verify")
    assert code == 1
    assert "Audit chain broken at entry 3: changed" in err
    assert "verified" not in out


def test_a_changed_time_is_found(written: list[AuditEvent]) -> None:
    tamper(("UPDATE sharing_auditevent SET at = %s WHERE seq = 5", [written[0].at]))
    code, _, err = run("audit_verify")
    assert code == 1
    assert "entry 5: changed" in err


def test_a_deleted_entry_is_found(written: list[AuditEvent]) -> None:
    tamper(("DELETE FROM sharing_auditevent WHERE seq = 4", []))
    code, _, err = run("audit_verify")
    assert code == 1
    assert "Audit chain broken at entry 4: missing: entry 4 is missing: the next entry is 5" in err


def test_a_deleted_entry_with_the_rest_renumbered_is_found(written: list[AuditEvent]) -> None:
    tamper(("DELETE FROM sharing_auditevent WHERE seq = 4", []), *renumber(5, -1))
    code, _, err = run("audit_verify")
    assert code == 1
    assert "Audit chain broken at entry 4: out of order" in err


def test_a_forged_entry_with_its_own_correct_hash_is_found(
    written: list[AuditEvent], coordinator: Any
) -> None:
    tamper(*renumber(3, 1))
    forged = chain.link(
        {
            "at": written[1].at,
            "actor_id": coordinator.pk,
            "actor_username": "coordinator",
            "agency_code": "GWP",
            "role": "police_coordinator",
            "action": "view",
            "purpose": "missing_episode",
            "target_type": "episode",
            "target_id": str(uuid.uuid4()),
            "child_public_id": None,
            "request_id": "",
            "detail": {},
        },
        seq=3,
        prev_hash=written[1].entry_hash,
    )
    AuditEvent(**forged).save(force_insert=True)
    code, _, err = run("audit_verify")
    assert code == 1
    assert "Audit chain broken at entry 3: inserted" in err


def test_a_forged_entry_before_the_start_is_found(written: list[AuditEvent]) -> None:
    first = AuditEvent.objects.filter(seq=1).values(*chain.HASHED_FIELDS).get()
    AuditEvent(**chain.link(first, seq=0, prev_hash=chain.GENESIS)).save(force_insert=True)
    code, _, err = run("audit_verify")
    assert code == 1
    assert "Audit chain broken at entry 0: inserted" in err


def test_reordered_entries_are_found(written: list[AuditEvent]) -> None:
    tamper(
        ("UPDATE sharing_auditevent SET seq = -3 WHERE seq = 3", []),
        ("UPDATE sharing_auditevent SET seq = 3 WHERE seq = 4", []),
        ("UPDATE sharing_auditevent SET seq = 4 WHERE seq = -3", []),
    )
    code, _, err = run("audit_verify")
    assert code == 1
    assert "Audit chain broken at entry 3: out of order" in err


# Checkpoints


def test_checkpoints_catch_a_shortened_chain(written: list[AuditEvent], checkpoint_file: Path) -> None:
    code, out, _ = run("audit_checkpoint")
    assert code == 0
    head = written[-1]
    assert f"Checkpoint: entry {head.seq}, hash {head.entry_hash}" in out
    line = checkpoint_file.read_text().strip()
    assert line.endswith(f" {head.seq} {head.entry_hash}")

    tamper(("DELETE FROM sharing_auditevent WHERE seq >= %s", [head.seq - 1]))
    # Without the checkpoint the shorter chain is consistent with itself...
    checkpoint_file.rename(checkpoint_file.with_suffix(".aside"))
    assert run("audit_verify")[0] == 0
    checkpoint_file.with_suffix(".aside").rename(checkpoint_file)
    # ...with it, it is not.
    code, _, err = run("audit_verify")
    assert code == 1
    assert f"Audit chain broken at entry {head.seq - 1}: truncated" in err
    assert f"recorded entry {head.seq}" in err


def test_checkpoints_catch_a_chain_rewritten_with_fresh_hashes(
    written: list[AuditEvent], checkpoint_file: Path
) -> None:
    assert run("audit_checkpoint")[0] == 0
    # Rewrite entry 2 and every hash after it, as someone who knows the hashing would.
    rows = list(chain_entries())
    rows[1]["actor_username"] = "someone-else"
    statements: list[tuple[str, list[Any]]] = []
    prev = rows[0]["entry_hash"]
    for row in rows[1:]:
        relinked = chain.link(row, seq=row["seq"], prev_hash=prev)
        prev = relinked["entry_hash"]
        statements.append(
            (
                "UPDATE sharing_auditevent SET actor_username = %s, prev_hash = %s, entry_hash = %s WHERE seq = %s",
                [relinked["actor_username"], relinked["prev_hash"], relinked["entry_hash"], row["seq"]],
            )
        )
    tamper(*statements)
    checkpoint_file.rename(checkpoint_file.with_suffix(".aside"))
    assert run("audit_verify")[0] == 0  # consistent with itself
    checkpoint_file.with_suffix(".aside").rename(checkpoint_file)
    code, _, err = run("audit_verify")
    assert code == 1
    assert f"Audit chain broken at entry {written[-1].seq}: changed" in err
    assert "checkpoint" in err


def test_checkpoints_accumulate_and_still_verify(coordinator: Any, checkpoint_file: Path) -> None:
    write_entries(coordinator, 3)
    assert run("audit_checkpoint")[0] == 0
    write_entries(coordinator, 4)
    assert run("audit_checkpoint")[0] == 0
    assert len(checkpoint_file.read_text().splitlines()) == 2
    code, out, _ = run("audit_verify")
    assert code == 0
    assert "2 checkpoints" in out


def test_checkpoint_refuses_a_broken_chain_and_writes_nothing(
    written: list[AuditEvent], checkpoint_file: Path
) -> None:
    assert run("audit_checkpoint")[0] == 0
    before = checkpoint_file.read_text()
    write_entries(written[0].actor, 2)
    tamper(("UPDATE sharing_auditevent SET role = 'forged' WHERE seq = %s", [written[-1].seq + 1]))
    code, _, err = run("audit_checkpoint")
    assert code == 1
    assert f"entry {written[-1].seq + 1}: changed" in err
    assert checkpoint_file.read_text() == before

    tamper(("DELETE FROM sharing_auditevent WHERE seq = %s", [written[-1].seq]))
    code, _, err = run("audit_checkpoint")
    assert code == 1
    assert "no longer matches the checkpoint" in err


def test_checkpoint_of_an_empty_trail_writes_nothing(db: Any, checkpoint_file: Path) -> None:
    code, out, _ = run("audit_checkpoint")
    assert code == 0
    assert "empty" in out
    assert not checkpoint_file.exists()


def test_a_malformed_or_missing_checkpoint_file_fails(
    written: list[AuditEvent], checkpoint_file: Path
) -> None:
    checkpoint_file.write_text("yesterday 3 not-a-hash\n")
    code, _, err = run("audit_verify")
    assert code == 1
    assert "line 1" in err
    code, _, err = run("audit_verify", "--checkpoint-file", str(checkpoint_file.with_name("absent.log")))
    assert code == 1
    assert "does not exist" in err


# Request ids


def test_a_page_request_puts_its_id_on_the_entries_and_the_response(client: Any, auditor: Any) -> None:
    client.force_login(auditor)
    response = client.get(reverse("sharing:audit"))
    request_id = response["X-Request-ID"]
    assert uuid.UUID(request_id).version == 4
    entry = AuditEvent.objects.get(target_type="audit_trail")
    assert entry.request_id == request_id
    # Each request has its own id.
    assert client.get(reverse("sharing:audit"))["X-Request-ID"] != request_id


def test_an_api_request_puts_its_id_on_the_entries(coordinator: Any, report_missing: Any) -> None:
    episode = report_missing()
    token = api_token_issue(user=coordinator, name="police system")
    response = Client(HTTP_AUTHORIZATION=f"Bearer {token}").get(
        f"/api/v1/episodes/{episode.public_id}/briefing"
    )
    assert response.status_code == 200
    request_id = response["X-Request-ID"]
    reads = AuditEvent.objects.filter(request_id=request_id)
    assert reads.filter(target_type="briefing", target_id=str(episode.public_id)).exists()
    assert not reads.exclude(actor_username="coordinator").exists()


def test_a_client_cannot_choose_the_request_id(client: Any, auditor: Any) -> None:
    client.force_login(auditor)
    response = client.get(reverse("sharing:audit"), HTTP_X_REQUEST_ID="chosen-by-the-client")
    assert response["X-Request-ID"] != "chosen-by-the-client"
    assert not AuditEvent.objects.filter(request_id="chosen-by-the-client").exists()


def test_entries_outside_a_request_have_no_request_id(coordinator: Any, report_missing: Any) -> None:
    episode = report_missing()
    episode_get_for_user(user=coordinator, public_id=episode.public_id, purpose=Purpose.MISSING_EPISODE)
    assert set(AuditEvent.objects.values_list("request_id", flat=True)) == {""}


# Nothing in the application can rewrite the trail


def test_the_orm_refuses_to_change_or_delete_entries(written: list[AuditEvent], coordinator: Any) -> None:
    entry = written[2]
    with pytest.raises(RuntimeError, match="append-only"):
        AuditEvent.objects.filter(seq=3).update(role="forged")
    with pytest.raises(RuntimeError, match="append-only"):
        AuditEvent.objects.all().delete()
    with pytest.raises(RuntimeError, match="append-only"):
        AuditEvent.objects.bulk_update([entry], ["role"])
    entry.role = "forged"
    with pytest.raises(RuntimeError, match="append-only"):
        entry.save()
    with pytest.raises(RuntimeError, match="append-only"):
        entry.delete()
    # A user with entries on the chain is disabled, never deleted: their id is part of the entries' hashes.
    with pytest.raises(ProtectedError):
        coordinator.delete()
    assert run("audit_verify")[0] == 0


@postgresql_only
def test_on_postgresql_the_application_role_may_only_read_and_append(written: list[AuditEvent]) -> None:
    role = f"hafan_test_app_{uuid.uuid4().hex[:8]}"
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE ROLE {role} NOLOGIN")
        cursor.execute(f"GRANT SELECT, INSERT ON sharing_auditevent TO {role}")
    for statement in (
        "UPDATE sharing_auditevent SET role = 'forged'",
        "DELETE FROM sharing_auditevent",
        "TRUNCATE sharing_auditevent",
    ):
        with (
            pytest.raises(ProgrammingError, match="permission denied"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(f"SET ROLE {role}")
            cursor.execute(statement)
    # The same role reads the chain and appends to it.
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"SET ROLE {role}")
        cursor.execute("SELECT count(*) FROM sharing_auditevent")
        assert cursor.fetchone()[0] == len(written)
        audit_record(
            actor=None,
            action=AuditAction.VIEW,
            purpose=Purpose.AUDIT,
            target_type="audit_trail",
            target_id="all",
        )
        cursor.execute("RESET ROLE")
    assert AuditEvent.objects.count() == len(written) + 1


@postgresql_only
def test_on_postgresql_the_owner_is_refused_by_the_triggers(written: list[AuditEvent]) -> None:
    with connection.cursor() as cursor:
        # tests/conftest.py lets Django's TRUNCATE through in the test database; switch the refusal back on
        # for this test's transaction only (after running the foreign-key checks its writes left pending).
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("ALTER TABLE sharing_auditevent ENABLE TRIGGER sharing_auditevent_no_truncate")
    for statement in (
        "UPDATE sharing_auditevent SET role = 'forged'",
        "DELETE FROM sharing_auditevent",
        "TRUNCATE sharing_auditevent",
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(statement)
    assert AuditEvent.objects.count() == len(written)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT has_table_privilege('public', 'sharing_auditevent', 'UPDATE, DELETE, TRUNCATE')"
        )
        assert cursor.fetchone()[0] is False


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_on_postgresql_concurrent_appends_keep_the_chain_gap_free(staff: dict[str, Any]) -> None:
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def append(user: Any) -> None:
        try:
            start.wait()
            for _ in range(25):
                with transaction.atomic():
                    write_entries(user, 1)
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=append, args=(staff[name],)) for name in ("coordinator", "nurse")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    seqs = list(AuditEvent.objects.order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, len(seqs) + 1))
    assert AuditEvent.objects.filter(actor_username__in=["coordinator", "nurse"]).count() == 50
    assert run("audit_verify")[0] == 0


# The migration that put the existing entries on the chain


@pytest.mark.django_db(transaction=True)
def test_the_backfill_chains_entries_written_before_the_chain_existed() -> None:
    executor = MigrationExecutor(connection)
    before = [("sharing", "0003_governance_and_audit_chain")]
    try:
        executor.migrate(before)
        old = (
            MigrationExecutor(connection).loader.project_state(before).apps.get_model("sharing", "AuditEvent")
        )
        for i in range(5):
            old.objects.create(
                actor_username=f"user{i}",
                action="view",
                purpose="missing_episode",
                target_type="episode",
                target_id=str(i),
                detail={"i": i},
            )
        MigrationExecutor(connection).migrate([("sharing", "0004_audit_chain_backfill")])
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())
        if POSTGRESQL:
            with connection.cursor() as cursor:
                cursor.execute(
                    "ALTER TABLE sharing_auditevent DISABLE TRIGGER sharing_auditevent_no_truncate"
                )
    rows = list(AuditEvent.objects.order_by("seq").values_list("seq", "target_id"))
    assert rows == [(i + 1, str(i)) for i in range(5)]
    code, out, _ = run("audit_verify")
    assert code == 0
    assert "5 entries" in out
