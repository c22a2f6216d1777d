"""Encryption at rest and keyed-hash lookups (issue 5, item 8; docs/encryption.md).

Canary strings go in through the real services and the bulk import; the raw tables must never hold them,
while the ORM reads them back. Keys rotate without losing a row; NHS numbers and UPNs are looked up through
their keyed hashes, never as plaintext in SQL.
"""

from __future__ import annotations

import base64
import datetime
import importlib
import os
import uuid
from collections.abc import Callable, Iterator
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.core.exceptions import FieldError
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from hafan.agencies.models import Agency
from hafan.core import crypto
from hafan.core.crypto import DecryptionError, lookup_hash
from hafan.core.fields import EncryptedTextField, convert_columns
from hafan.core.vocabulary import FactCategory, Purpose, RiskGrade
from hafan.debriefs.models import Debrief, OfferStatus, ShareBasis
from hafan.debriefs.services import debrief_record
from hafan.episodes.models import Episode
from hafan.episodes.services import episode_record_return
from hafan.ingest.reading import Source
from hafan.ingest.services import ImportRequest, code_mappings_seed, import_run
from hafan.ingest.vocabularies import PARTNER_CODES
from hafan.linkage.models import BlockingKey
from hafan.people.lookup import child_by_identifier
from hafan.people.models import Child, Fact, SourceRecord, SourceRecordVersion
from hafan.people.services import (
    PersonDetails,
    child_create,
    child_find_match,
    fact_add,
    source_record_upsert,
)
from hafan.risk.models import RiskAssessment
from hafan.risk.rules import default_next_review
from hafan.risk.services import risk_grade_record
from hafan.sharing.models import AuditEvent

NHS = "9434765919"
UPN = "V680320116582"
DOB = datetime.date(2011, 3, 4)
POLICE_CSV = Path(__file__).resolve().parent.parent / "fixtures" / "ingest" / "police" / "occurrences.csv"


def _canary(kind: str) -> str:
    return f"CANARY-{kind}-{uuid.uuid4().hex}"


def _new_key() -> str:
    return base64.b64encode(os.urandom(32)).decode()


def _development_entry() -> str:
    """The key the tests run under (derived from SECRET_KEY), as a HAFAN_FIELD_KEYS entry."""
    return f"dev:{base64.b64encode(crypto.development_field_key()).decode()}"


def _raw_dump() -> Iterator[tuple[str, str]]:
    """(table, every value of every row as text) for every table in the database."""
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {quote(table)}")  # noqa: S608 - names from the introspection
            for row in cursor.fetchall():
                yield table, " ".join(str(v) for v in row)


def _raw_column(model: type[Any], column: str) -> list[str]:
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {quote(column)} FROM {quote(model._meta.db_table)} ORDER BY id")  # noqa: S608
        return [row[0] for row in cursor.fetchall()]


@pytest.fixture
def planted(
    report_missing: Callable[..., Episode],
    coordinator: Any,
    debrief_worker: Any,
    partnership: dict[str, Agency],
) -> dict[str, str]:
    """One canary in every encrypted field, each written by its own service."""
    c = {
        name: _canary(name)
        for name in (
            "circumstances",
            "health",
            "intelligence",
            "rationale",
            "harm",
            "safe-and-well",
            "where-went",
            "who-with",
            "travel",
            "debrief-harm",
            "wishes",
            "place",
        )
    }
    now = timezone.now()
    episode = report_missing(
        circumstances=c["circumstances"],
        reported_at=now - datetime.timedelta(hours=6),
        last_seen_at=now - datetime.timedelta(hours=8),
    )
    child = episode.child
    fact_add(
        child=child,
        agency=partnership["ABUHB"],
        category=FactCategory.HEALTH_NEED,
        summary=c["health"],
        recorded_on=DOB,
        source="WPAS 1",
        actor=None,
    )
    fact_add(
        child=child,
        agency=partnership["GWP"],
        category=FactCategory.WARNING_MARKER,
        summary=c["intelligence"],
        recorded_on=DOB,
        source="Niche 1",
        actor=None,
    )
    risk_grade_record(
        episode=episode,
        author=coordinator,
        grade="medium",
        factors=["cse"],
        rationale=c["rationale"],
        next_review_due=default_next_review(RiskGrade.MEDIUM, now),
        assessed_at=now,
    )
    episode_record_return(
        episode=episode,
        recorded_by=coordinator,
        returned_at=now - datetime.timedelta(hours=3),
        found_where="Grandmother's house",
        found_by="carer",
        harm_suffered=True,
        harm_details=c["harm"],
        safe_and_well_at=now - datetime.timedelta(hours=2),
        safe_and_well_by="PC Evans",
        safe_and_well_notes=c["safe-and-well"],
    )
    episode.refresh_from_db()
    debrief_record(
        debrief=episode.debrief,
        worker=debrief_worker,
        status=OfferStatus.HELD,
        offered_at=now - datetime.timedelta(hours=2),
        held_at=now - datetime.timedelta(hours=1),
        where_went=c["where-went"],
        who_with=c["who-with"],
        travel=c["travel"],
        harm_details=c["debrief-harm"],
        child_wishes=c["wishes"],
        share_basis=ShareBasis.CONSENT,
        places_to_share=c["place"],
    )
    return c


def test_no_canary_reaches_any_table_and_the_orm_reads_every_one_back(planted: dict[str, str]) -> None:
    for table, row in _raw_dump():
        for name, canary in planted.items():
            assert canary not in row, f"{name} canary stored in plaintext in {table}"
            assert "CANARY-" not in row, f"a canary stored in plaintext in {table}"
    episode = Episode.objects.get()
    assert episode.circumstances == planted["circumstances"]
    assert (episode.harm_details, episode.safe_and_well_notes) == (planted["harm"], planted["safe-and-well"])
    assert RiskAssessment.objects.get().rationale == planted["rationale"]
    debrief = Debrief.objects.get()
    assert [
        debrief.where_went,
        debrief.who_with,
        debrief.travel,
        debrief.harm_details,
        debrief.child_wishes,
    ] == [planted[k] for k in ("where-went", "who-with", "travel", "debrief-harm", "wishes")]
    summaries = set(Fact.objects.values_list("summary", flat=True))
    assert {planted["health"], planted["intelligence"], planted["place"]} <= summaries
    # Each stored value is a token under the current key, and the same text never gives the same token.
    tokens = _raw_column(Fact, "summary")
    assert tokens and all(t.startswith("enc1:dev:") for t in tokens)
    assert len(set(tokens)) == len(tokens)


def test_empty_text_stays_empty_so_blank_checks_work(planted: dict[str, str]) -> None:
    assert Debrief.objects.exclude(not_offered_reason="").count() == 0
    assert Debrief.objects.filter(not_offered_reason="").count() == 1
    assert _raw_column(Debrief, "not_offered_reason") == [""]
    assert Episode.objects.filter(harm_details__isnull=False).count() == 1


@pytest.mark.parametrize(
    "lookup",
    [
        {"summary": "anything"},
        {"summary__icontains": "CANARY"},
        {"summary__startswith": "enc1:"},
        {"summary__in": ["a", "b"]},
        {"summary__lower": "x"},
    ],
)
def test_comparing_encrypted_text_in_the_database_is_refused(lookup: dict[str, str], db: Any) -> None:
    with pytest.raises(FieldError, match="encrypted at rest"):
        list(Fact.objects.filter(**lookup))


def test_a_changed_token_in_the_database_is_an_error_not_garbage(planted: dict[str, str]) -> None:
    assessment = RiskAssessment.objects.get()
    token = _raw_column(RiskAssessment, "rationale")[0]
    flipped = token[:-3] + ("A" if token[-3] != "A" else "B") + token[-2:]
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE risk_riskassessment SET rationale = %s WHERE id = %s", [flipped, assessment.pk]
        )
    with pytest.raises(DecryptionError, match=r"risk\.RiskAssessment\.rationale"):
        RiskAssessment.objects.get(pk=assessment.pk)


def test_every_encrypted_field_is_listed() -> None:
    """The fields docs/encryption.md lists: a new one must be added there (and to a migration) on purpose."""
    found = {
        f"{model._meta.label}.{field.name}"
        for model in apps.get_models()
        for field in model._meta.concrete_fields
        if isinstance(field, EncryptedTextField)
    }
    assert found == {
        "people.Fact.summary",
        "debriefs.Debrief.not_offered_reason",
        "debriefs.Debrief.where_went",
        "debriefs.Debrief.who_with",
        "debriefs.Debrief.travel",
        "debriefs.Debrief.harm_details",
        "debriefs.Debrief.child_wishes",
        "episodes.Episode.circumstances",
        "episodes.Episode.harm_details",
        "episodes.Episode.safe_and_well_notes",
        "risk.RiskAssessment.rationale",
        "people.SourceRecordVersion.payload",
        # Risk and response (issue 6): structured answers, information-call answers, the information profile,
        # hub task outcomes and exploitation screenings.
        "risk.RiskAssessment.answers",
        "episodes.InformationRequest.answer",
        *(
            f"people.ChildProfile.{name}"
            for name in (
                "placement", "description", "nicknames", "marks", "associates", "places", "phones",
                "social_media", "transport", "medical_needs", "photo",
            )
        ),
        "risk.HubTask.outcome",
        "risk.ExploitationScreening.answers",
        # The debrief service (issue 7): the workspace, each finding, mediation sessions and the feedback comment.
        *(
            f"debriefs.Debrief.{name}"
            for name in (
                "declined_reason", "carer_seen_note", "push_notes", "pull_notes", "substance_use", "what_would_help",
            )
        ),
        "debriefs.ContactAttempt.note",
        "debriefs.DebriefFinding.text",
        "debriefs.DebriefFinding.safeguarding_reason",
        *(f"debriefs.MediationSession.{name}" for name in ("attendees", "summary", "agreed_actions")),
        "feedback.FeedbackResponse.comment",
    }  # fmt: skip


# Key rotation


def test_rotation_re_encrypts_every_row_under_the_new_key_and_the_old_key_can_go(
    planted: dict[str, str],
) -> None:
    new = f"k2026:{_new_key()}"
    with override_settings(HAFAN_FIELD_KEYS=[new, _development_entry()]):
        dry = StringIO()
        call_command("rotate_keys", "--dry-run", stdout=dry)
        assert "people.Fact: 3 row(s) to re-encrypt" in dry.getvalue()
        assert all(t.startswith("enc1:dev:") for t in _raw_column(Fact, "summary")), "a dry run changed rows"
        out = StringIO()
        call_command("rotate_keys", "--batch-size", "2", stdout=out)
        assert "people.Fact: 3 row(s) re-encrypted" in out.getvalue()
        assert "debriefs.Debrief: 1 row(s) re-encrypted" in out.getvalue()
        again = StringIO()
        call_command("rotate_keys", stdout=again)
        assert "Total: 0 row(s) re-encrypted." in again.getvalue()
    runs = list(AuditEvent.objects.filter(target_type="encryption_keys").order_by("seq"))
    assert [(a.target_id, a.detail["rows"]["people.Fact"]) for a in runs] == [("k2026", 3), ("k2026", 0)]
    for model in (Fact, Debrief, Episode, RiskAssessment):
        for field in model._meta.concrete_fields:
            if isinstance(field, EncryptedTextField):
                values = _raw_column(model, str(field.column))
                assert all(v == "" or v.startswith("enc1:k2026:") for v in values), (model, field.name)
    with override_settings(HAFAN_FIELD_KEYS=[new]):
        assert Debrief.objects.get().child_wishes == planted["wishes"]
        assert RiskAssessment.objects.get().rationale == planted["rationale"]
        assert Episode.objects.get().safe_and_well_notes == planted["safe-and-well"]
        assert planted["health"] in set(Fact.objects.values_list("summary", flat=True))
    # Under the development key alone, the rotated rows cannot be read.
    with pytest.raises(DecryptionError, match="'k2026'"):
        RiskAssessment.objects.get()


def test_rotation_stops_with_a_clear_error_when_a_key_in_use_was_removed(planted: dict[str, str]) -> None:
    with override_settings(HAFAN_FIELD_KEYS=[f"k2:{_new_key()}"]), pytest.raises(CommandError, match="'dev'"):
        call_command("rotate_keys", stdout=StringIO())


def test_the_data_migration_helpers_encrypt_plaintext_rows_and_decrypt_them_back(
    planted: dict[str, str],
) -> None:
    """What migrations 0008 (people), 0003 (debriefs, episodes, risk) run on a database written before them."""
    fact = Fact.objects.filter(summary__isnull=False).first()
    assert fact is not None
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE people_fact SET summary = %s WHERE id = %s", ["written before encryption", fact.pk]
        )
    args: dict[str, Any] = {
        "connection": connection,
        "table": "people_fact",
        "pk_column": "id",
        "columns": ["summary"],
    }
    assert convert_columns(**args, mode="encrypt", dry_run=True) == 1
    assert convert_columns(**args, mode="encrypt") == 1
    assert convert_columns(**args, mode="encrypt") == 0, "encrypting twice must leave tokens alone"
    assert Fact.objects.get(pk=fact.pk).summary == "written before encryption"
    total = Fact.objects.count()
    assert convert_columns(**args, mode="decrypt") == total
    assert "written before encryption" in _raw_column(Fact, "summary")
    assert planted["intelligence"] in _raw_column(Fact, "summary")
    assert convert_columns(**args, mode="encrypt") == total
    assert planted["intelligence"] in set(Fact.objects.values_list("summary", flat=True))


# Keyed-hash lookups


def _record(child: Child, agency: Agency, local_id: str, **details: Any) -> SourceRecord:
    return source_record_upsert(
        child=child,
        agency=agency,
        system="WPAS",
        local_id=local_id,
        details=PersonDetails(given_name="Cerys", family_name="Jones", date_of_birth=DOB, **details),
        recorded_on=DOB,
        actor=None,
    )


@pytest.fixture
def cerys(partnership: dict[str, Agency]) -> Child:
    child = child_create(
        details=PersonDetails(given_name="Cerys", family_name="Jones", date_of_birth=DOB),
        actor=None,
        purpose="agency_feed",  # type: ignore[arg-type]
    )
    _record(child, partnership["ABUHB"], "H1", nhs_number=NHS)
    _record(child, partnership["NCC"], "E1", upn=UPN)
    return child


def test_source_records_store_keyed_hashes_and_no_plaintext_identifier_index(cerys: Child) -> None:
    health = SourceRecord.objects.get(local_id="H1")
    assert health.nhs_number_key == lookup_hash("nhs", NHS) and health.upn_key == ""
    assert SourceRecord.objects.get(local_id="E1").upn_key == lookup_hash("upn", UPN)
    indexes = connection.introspection.get_constraints(connection.cursor(), "people_sourcerecord")
    indexed = {tuple(i["columns"]) for i in indexes.values() if i["index"]}
    assert ("nhs_number_key",) in indexed and ("upn_key",) in indexed
    assert ("nhs_number",) not in indexed and ("upn",) not in indexed
    # Identity resolution's identifier blocking keys are keyed hashes too.
    keys = set(BlockingKey.objects.filter(record=health).values_list("key", flat=True))
    assert f"nhsk:{lookup_hash('nhs', NHS)}" in keys
    assert not any(NHS in k for k in keys)


def test_lookups_by_nhs_number_and_upn_send_the_key_not_the_identifier(cerys: Child) -> None:
    with CaptureQueriesContext(connection) as queries:
        assert child_by_identifier(nhs_number="943 476 5919") == cerys
        assert child_by_identifier(upn=UPN.lower()) == cerys
        found = child_find_match(
            PersonDetails(given_name="Someone", family_name="Else", nhs_number=NHS).cleaned()
        )
        assert found == cerys
    sql = " ".join(q["sql"] for q in queries.captured_queries)
    assert lookup_hash("nhs", NHS) in sql and lookup_hash("upn", UPN) in sql
    assert NHS not in sql and UPN not in sql
    assert child_by_identifier(nhs_number="9999999999") is None
    assert child_by_identifier() is None


def test_a_lookup_follows_a_merge_to_the_surviving_identity(
    cerys: Child, partnership: dict[str, Agency]
) -> None:
    survivor = child_create(
        details=PersonDetails(given_name="Cerys", family_name="Jones", date_of_birth=DOB),
        actor=None,
        purpose=Purpose.AGENCY_FEED,
    )
    Child.objects.filter(pk=cerys.pk).update(merged_into=survivor)
    assert child_by_identifier(nhs_number=NHS) == survivor


def test_one_identifier_on_two_identities_finds_neither(cerys: Child, partnership: dict[str, Agency]) -> None:
    other = child_create(
        details=PersonDetails(given_name="Carys", family_name="Jones", date_of_birth=DOB),
        actor=None,
        purpose=Purpose.AGENCY_FEED,
    )
    _record(other, partnership["NCC"], "E2", nhs_number=NHS)
    assert child_by_identifier(nhs_number=NHS) is None
    # The UPN is still only on one identity.
    assert child_by_identifier(upn=UPN) == cerys


def test_a_conflicting_identifier_still_stops_a_name_match(cerys: Child) -> None:
    """Exact name and date of birth, but a different valid NHS number: not the same child."""
    assert (
        child_find_match(PersonDetails(given_name="Cerys", family_name="Jones", date_of_birth=DOB)) == cerys
    )
    assert (
        child_find_match(
            PersonDetails(given_name="Cerys", family_name="Jones", date_of_birth=DOB, nhs_number="9999999999")
        )
        is None
    )


def test_an_import_attaches_by_nhs_number_through_the_key_and_encrypts_in_bulk(
    cerys: Child, partnership: dict[str, Agency]
) -> None:
    for code, mappings in PARTNER_CODES.items():
        code_mappings_seed(partnership[code], mappings)
    header, first = POLICE_CSV.read_text(encoding="utf-8").splitlines()[:2]
    canary = _canary("bulk-circumstances")
    row = first.replace("9991588132", NHS).replace(
        "Did not come home after school, phone switched off", canary
    )
    assert canary in row and NHS in row
    data = f"{header}\n{row}\n".encode()
    with CaptureQueriesContext(connection) as queries:
        run = import_run(
            ImportRequest(
                format="police-csv",
                sources=[Source.from_bytes("occurrences.csv", data)],
                agency=partnership["GWP"],
            )
        )
    assert run.records_new == 1, run.rejection_reason
    police = SourceRecord.objects.get(agency=partnership["GWP"])
    assert police.child_id == cerys.pk, "the police record was not attached to the child with that NHS number"
    assert police.nhs_number_key == lookup_hash("nhs", NHS)
    reads = [q["sql"] for q in queries.captured_queries if q["sql"].lstrip().upper().startswith("SELECT")]
    assert any(lookup_hash("nhs", NHS) in sql for sql in reads)
    assert not any(NHS in sql for sql in reads), "a lookup sent the plaintext NHS number"
    # The bulk insert (SQLite multi-row INSERT here; COPY on PostgreSQL) encrypted the episode's text.
    assert Episode.objects.get(source_agency=partnership["GWP"]).circumstances == canary
    for table, values in _raw_dump():
        assert canary not in values, f"bulk-imported canary stored in plaintext in {table}"
    # The record as imported is kept encrypted too, and read back whole.
    version = police.versions.get()
    assert canary in str(version.payload)
    assert _raw_column(SourceRecordVersion, "payload")[0].startswith("enc1:dev:")
    assert any(t.startswith("enc1:dev:") for t in _raw_column(Fact, "summary")), (
        "imported facts were not encrypted"
    )


def test_the_identifier_key_migration_fills_existing_rows(cerys: Child) -> None:
    SourceRecord.objects.update(nhs_number_key="", upn_key="")
    BlockingKey.objects.filter(key__startswith="nhsk:").update(key=f"nhs:{NHS}")
    migration = importlib.import_module("hafan.people.migrations.0006_fill_identifier_keys")
    migration.fill_keys(apps, None)
    assert child_by_identifier(nhs_number=NHS) == cerys
    assert child_by_identifier(upn=UPN) == cerys
    assert not BlockingKey.objects.filter(key__startswith="nhs:").exists()
    assert BlockingKey.objects.filter(key=f"nhsk:{lookup_hash('nhs', NHS)}").exists()


def test_rekey_lookups_rewrites_the_keys_under_a_new_lookup_key(cerys: Child) -> None:
    with override_settings(HAFAN_LOOKUP_KEY=_new_key()):
        assert child_by_identifier(nhs_number=NHS) is None, (
            "keys written under the old lookup key still matched"
        )
        out = StringIO()
        call_command("rekey_lookups", stdout=out)
        assert "2 source record(s) re-keyed" in out.getvalue()
        assert child_by_identifier(nhs_number=NHS) == cerys
        assert child_by_identifier(upn=UPN) == cerys
        health = SourceRecord.objects.get(local_id="H1")
        assert BlockingKey.objects.filter(record=health, key=f"nhsk:{lookup_hash('nhs', NHS)}").exists()
