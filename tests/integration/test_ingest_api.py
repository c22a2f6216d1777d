"""The import API: agency systems push the files the command line takes, with bearer tokens.

POST /api/v1/imports/{format} (multipart) and GET /api/v1/imports/runs/{id}, driven through Django's test
client with real tokens issued by the accounts service. Only an agency's own administrators push its data;
the IG auditor reads any run but never the rejected values; everyone else gets 404 for a run.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django_tasks_db.models import DBTaskResult

from hafan.accounts.services import api_token_issue, staff_create
from hafan.agencies.models import Agency
from hafan.core.vocabulary import Role
from hafan.episodes.models import Episode
from hafan.ingest.models import ImportRowError, ImportRun, ImportStatus
from hafan.ingest.services import code_mappings_seed
from hafan.ingest.vocabularies import PARTNER_CODES
from hafan.people.models import Child, Fact, SourceRecord, SourceRecordVersion
from tests.conftest import PERSONA_PASSWORD
from tests.integration.test_ingest import FIXTURES, FORMATS

pytestmark = pytest.mark.django_db

API = "/api/v1/imports"
LINK_TASK = "hafan.ingest.tasks.link_new_records"


@pytest.fixture
def agencies(partnership: dict[str, Agency]) -> dict[str, Agency]:
    for code, mappings in PARTNER_CODES.items():
        code_mappings_seed(partnership[code], mappings)
    return partnership


@pytest.fixture
def admins(agencies: dict[str, Agency], staff: dict[str, Any]) -> dict[str, Any]:
    """One administrator per agency that has fixtures (the persona `admin` is GWP's)."""
    users = {"GWP": staff["admin"]}
    for code in ("NCC", "ABUHB", "TCBC"):
        users[code] = staff_create(
            username=f"admin-{code.lower()}",
            password=PERSONA_PASSWORD,
            role=Role.ADMINISTRATOR,
            agency=agencies[code],
        )
    return users


@pytest.fixture
def as_user(staff: dict[str, Any]) -> Callable[[Any], Client]:
    """A test client that calls the API with a freshly issued token for `user`."""

    def _client(user: Any) -> Client:
        token = api_token_issue(user=user, name=f"{user.username}'s test system")
        return Client(HTTP_AUTHORIZATION=f"Bearer {token}")

    return _client


@pytest.fixture
def push(as_user: Callable[[Any], Client]) -> Iterator[Callable[..., Any]]:
    """Pushes fixture files (paths under tests/fixtures/ingest) as `user`; form fields as keywords."""
    with ExitStack() as stack:

        def _push(
            user: Any | Client,
            fmt: str,
            files: list[str],
            *,
            mapping: str | None = None,
            **fields: Any,
        ) -> Any:
            client = user if isinstance(user, Client) else as_user(user)
            data: dict[str, Any] = {"files": [stack.enter_context((FIXTURES / f).open("rb")) for f in files]}
            if mapping:
                data["mapping"] = stack.enter_context((FIXTURES / mapping).open("rb"))
            data.update({k: str(v).lower() if isinstance(v, bool) else v for k, v in fields.items()})
            return client.post(f"{API}/{fmt}", data=data)

        yield _push


def written() -> dict[str, int]:
    return {
        "children": Child.objects.count(),
        "records": SourceRecord.objects.count(),
        "versions": SourceRecordVersion.objects.count(),
        "facts": Fact.objects.count(),
        "episodes": Episode.objects.count(),
    }


NOTHING = {"children": 0, "records": 0, "versions": 0, "facts": 0, "episodes": 0}


def link_tasks() -> int:
    return DBTaskResult.objects.filter(task_path=LINK_TASK).count()


# Pushing every format


@pytest.mark.parametrize(
    ("fmt", "files", "agency", "mapping", "expected"), FORMATS, ids=[f[0] for f in FORMATS]
)
def test_every_format_imports_through_the_api_and_a_second_push_changes_nothing(
    admins: dict[str, Any],
    push: Callable[..., Any],
    fmt: str,
    files: list[str],
    agency: str,
    mapping: str | None,
    expected: int,
) -> None:
    response = push(admins[agency], fmt, files, mapping=mapping, agency=agency)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "succeeded", body["rejection_reason"]
    assert body["format"] == fmt and body["agency"] == agency
    assert body["records_rejected"] == 0 and body["errors"] == [], body["errors"]
    assert body["records_new"] > 0
    if expected > 0:
        assert body["records_new"] == expected
    run = ImportRun.objects.get(public_id=body["public_id"])
    assert run.channel == "api" and run.imported_by == admins[agency]
    assert run.file_name == ", ".join(Path(f).name for f in files)
    assert SourceRecord.objects.filter(agency__code=agency).count() == body["records_new"]
    before = written()

    again = push(admins[agency], fmt, files, mapping=mapping, agency=agency)
    assert again.status_code == 201, again.content
    second = again.json()
    assert second["public_id"] != body["public_id"]
    assert (second["records_new"], second["records_changed"], second["records_unchanged"]) == (
        0,
        0,
        body["records_new"],
    )
    assert written() == before


def test_the_agency_defaults_to_the_token_users_own(admins: dict[str, Any], push: Callable[..., Any]) -> None:
    response = push(admins["GWP"], "police-csv", ["police/occurrences.csv"])
    assert response.status_code == 201
    assert response.json()["agency"] == "GWP"
    assert SourceRecord.objects.filter(agency__code="GWP").count() == 12


def test_a_dry_run_answers_200_with_the_counts_and_writes_nothing(
    admins: dict[str, Any], push: Callable[..., Any]
) -> None:
    response = push(admins["GWP"], "police-csv", ["police/occurrences.csv"], dry_run=True)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "dry_run"
    assert body["records_new"] == 12
    assert written() == NOTHING
    assert ImportRun.objects.get().dry_run


# Rejections


@pytest.mark.parametrize(
    ("fmt", "fixture", "agency", "mapping", "reason"),
    [
        ("fhir", "fhir/truncated.json", "ABUHB", None, "malformed"),
        ("fhir", "fhir/not_a_bundle.json", "ABUHB", None, "bundle"),
        ("ctf", "ctf/hostile/billion_laughs.xml", "NCC", None, "DTD"),
        ("ctf", "ctf/hostile/xxe_file.xml", "NCC", None, "DTD"),
        ("ctf", "ctf/hostile/xxe_http.xml", "NCC", None, "DTD"),
        ("ctf", "ctf/hostile/quadratic.xml", "NCC", None, "DTD"),
        ("ctf", "ctf/hostile/truncated.xml", "NCC", None, "malformed"),
        ("generic", "generic/people.csv", "TCBC", None, "mapping"),
        ("generic", "generic/people.csv", "TCBC", "generic/bad_mapping.toml", "middle_name"),
        ("police-csv", "ctf/pupils.xml", "GWP", None, ""),
    ],
    ids=[
        "truncated-json",
        "not-a-bundle",
        "billion-laughs",
        "xxe-file",
        "xxe-http",
        "quadratic",
        "truncated-xml",
        "no-mapping",
        "bad-mapping",
        "wrong-format",
    ],
)
def test_a_rejected_file_is_422_with_the_reason_and_nothing_written(
    admins: dict[str, Any],
    push: Callable[..., Any],
    fmt: str,
    fixture: str,
    agency: str,
    mapping: str | None,
    reason: str,
) -> None:
    response = push(admins[agency], fmt, [fixture], mapping=mapping, agency=agency)
    assert response.status_code == 422, response.content
    body = response.json()
    assert body["status"] == "rejected"
    assert body["rejection_reason"]
    assert reason.lower() in body["rejection_reason"].lower()
    assert (body["records_new"], body["records_changed"], body["records_unchanged"]) == (0, 0, 0)
    assert written() == NOTHING
    assert ImportRun.objects.get().status == ImportStatus.REJECTED
    assert link_tasks() == 0


def test_a_mapping_that_is_not_utf8_is_422_not_500(admins: dict[str, Any], as_user: Any) -> None:
    with (FIXTURES / "generic" / "people.csv").open("rb") as people:
        response = as_user(admins["TCBC"]).post(
            f"{API}/generic",
            data={"files": [people], "mapping": SimpleUploadedFile("m.toml", b"\xff\xfe\x00bad")},
        )
    assert response.status_code == 422, response.content
    assert "mapping" in response.json()["rejection_reason"].lower()
    assert written() == NOTHING


def test_several_files_for_a_one_file_format_are_422(
    admins: dict[str, Any], push: Callable[..., Any]
) -> None:
    response = push(admins["GWP"], "police-csv", ["police/occurrences.csv", "police/occurrences_changed.csv"])
    assert response.status_code == 422
    assert "one file at a time" in response.json()["rejection_reason"]
    assert written() == NOTHING


def test_rejected_rows_are_listed_in_errors_and_the_rest_imported(
    admins: dict[str, Any], push: Callable[..., Any]
) -> None:
    response = push(admins["GWP"], "police-csv", ["police/occurrences_errors.csv"])
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "succeeded"
    assert body["records_rejected"] > 0
    stored = ImportRowError.objects.filter(run__public_id=body["public_id"])
    assert len(body["errors"]) == stored.count() > 0
    for error in body["errors"]:
        assert set(error) == {"location", "field", "reason", "value"}
        assert error["location"].startswith("line "), error
        assert error["reason"]
    fields = {e["field"] for e in body["errors"]}
    assert "date_of_birth" in fields
    # The importing agency's own system gets its values back as sent (JSON runs no formulas).
    assert any(e["value"].startswith("=cmd") for e in body["errors"])
    assert SourceRecord.objects.count() == body["records_new"] > 0
    locations = {e["location"] for e in body["errors"]}
    assert len(locations) == body["records_rejected"]


# Who may push


@pytest.mark.parametrize("persona", ["coordinator", "analyst", "auditor", "nurse", "outsider"])
def test_staff_who_are_not_the_agencys_administrators_get_403_and_nothing_is_written(
    agencies: dict[str, Agency], staff: dict[str, Any], push: Callable[..., Any], persona: str
) -> None:
    user = staff[persona]
    code = user.agency.code if user.agency.in_partnership else "GWP"
    response = push(user, "police-csv", ["police/occurrences.csv"], agency=code)
    assert response.status_code == 403, response.content
    assert "administrator" in response.json()["detail"]
    assert ImportRun.objects.count() == 0
    assert written() == NOTHING


def test_an_administrator_cannot_push_another_agencys_data(
    admins: dict[str, Any], push: Callable[..., Any]
) -> None:
    response = push(admins["GWP"], "ssda903", ["ssda903/header.csv"], agency="NCC")
    assert response.status_code == 403
    response = push(admins["GWP"], "police-csv", ["police/occurrences.csv"], agency="ncc")
    assert response.status_code == 403
    assert ImportRun.objects.count() == 0
    assert written() == NOTHING


def test_a_permission_refusal_comes_before_the_size_check(
    agencies: dict[str, Agency], staff: dict[str, Any], push: Callable[..., Any], settings: Any
) -> None:
    """A caller who may not push learns nothing about the upload limits."""
    settings.HAFAN_IMPORT_API_MAX_BYTES = 100
    response = push(staff["coordinator"], "police-csv", ["police/occurrences.csv"])
    assert response.status_code == 403


def test_no_token_or_a_bad_token_is_401(agencies: dict[str, Agency], push: Callable[..., Any]) -> None:
    for client in (Client(), Client(HTTP_AUTHORIZATION="Bearer hafan_not-a-real-token")):
        response = push(client, "police-csv", ["police/occurrences.csv"])
        assert response.status_code == 401
        assert response["WWW-Authenticate"].startswith("Bearer")
    assert ImportRun.objects.count() == 0


def test_an_unknown_format_or_agency_is_404(admins: dict[str, Any], push: Callable[..., Any]) -> None:
    assert push(admins["GWP"], "spreadsheet", ["police/occurrences.csv"]).status_code == 404
    assert push(admins["GWP"], "police-csv", ["police/occurrences.csv"], agency="NOPE").status_code == 404
    assert ImportRun.objects.count() == 0


def test_an_upload_over_the_limit_is_413_before_anything_is_parsed(
    admins: dict[str, Any], push: Callable[..., Any], settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hafan.ingest import api

    def must_not_run(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the file was parsed")

    monkeypatch.setattr(api, "import_run", must_not_run)
    size = (FIXTURES / "police" / "occurrences.csv").stat().st_size
    settings.HAFAN_IMPORT_API_MAX_BYTES = size - 1
    response = push(admins["GWP"], "police-csv", ["police/occurrences.csv"])
    assert response.status_code == 413
    assert f"{size - 1:,}" in response.json()["detail"]
    # Several files count together.
    settings.HAFAN_IMPORT_API_MAX_BYTES = sum(
        (FIXTURES / "ssda903" / n).stat().st_size for n in ("header.csv", "episodes.csv")
    )
    files = ["ssda903/header.csv", "ssda903/episodes.csv", "ssda903/missing.csv"]
    assert push(admins["NCC"], "ssda903", files).status_code == 413
    assert ImportRun.objects.count() == 0


# Reading a run


@pytest.fixture
def errors_run(admins: dict[str, Any], push: Callable[..., Any]) -> str:
    response = push(admins["GWP"], "police-csv", ["police/occurrences_errors.csv"])
    assert response.status_code == 201
    return str(response.json()["public_id"])


def test_the_importing_agencys_administrator_reads_the_run_with_its_values(
    admins: dict[str, Any], as_user: Any, errors_run: str
) -> None:
    response = as_user(admins["GWP"]).get(f"{API}/runs/{errors_run}")
    assert response.status_code == 200
    body = response.json()
    run = ImportRun.objects.get(public_id=errors_run)
    assert body["public_id"] == errors_run
    assert (body["records_new"], body["records_rejected"]) == (run.records_new, run.records_rejected)
    assert body["finished_at"] is not None
    assert len(body["errors"]) == run.row_errors.count()
    assert any(e["value"] for e in body["errors"])
    assert any(e["value"].startswith("=cmd") for e in body["errors"])


def test_the_auditor_reads_the_run_without_the_rejected_values(
    staff: dict[str, Any], as_user: Any, errors_run: str
) -> None:
    response = as_user(staff["auditor"]).get(f"{API}/runs/{errors_run}")
    assert response.status_code == 200
    body = response.json()
    run = ImportRun.objects.get(public_id=errors_run)
    assert body["records_rejected"] == run.records_rejected > 0
    assert len(body["errors"]) == run.row_errors.count()
    assert all(e["location"] and e["reason"] for e in body["errors"])
    assert [e["value"] for e in body["errors"]] == [""] * len(body["errors"])
    assert "cmd" not in response.content.decode()


@pytest.mark.parametrize("persona", ["coordinator", "analyst", "nurse", "debrief", "outsider", "NCC"])
def test_anyone_else_gets_404_for_a_run(
    admins: dict[str, Any], staff: dict[str, Any], as_user: Any, errors_run: str, persona: str
) -> None:
    user = admins[persona] if persona == "NCC" else staff[persona]
    response = as_user(user).get(f"{API}/runs/{errors_run}")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


def test_a_malformed_or_unknown_run_id_is_404_and_no_token_is_401(
    admins: dict[str, Any], as_user: Any, errors_run: str
) -> None:
    client = as_user(admins["GWP"])
    assert client.get(f"{API}/runs/not-a-uuid").status_code == 404
    assert client.get(f"{API}/runs/{uuid.uuid4()}").status_code == 404
    assert Client().get(f"{API}/runs/{errors_run}").status_code == 401


def test_reading_a_run_is_audited(admins: dict[str, Any], as_user: Any, errors_run: str) -> None:
    from hafan.sharing.models import AuditAction, AuditEvent

    as_user(admins["GWP"]).get(f"{API}/runs/{errors_run}")
    assert AuditEvent.objects.filter(
        action=AuditAction.VIEW, target_type="import_run", target_id=errors_run, actor=admins["GWP"]
    ).exists()


def test_the_openapi_schema_lists_both_import_endpoints() -> None:
    response = Client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    push_op = paths["/api/v1/imports/{format_name}"]["post"]
    assert {"201", "200", "403", "413", "422"} <= set(push_op["responses"])
    body = push_op["requestBody"]["content"]["multipart/form-data"]["schema"]
    assert set(body["properties"]) == {"files", "mapping", "agency", "dry_run", "full_refresh"}
    assert body["required"] == ["files"]
    assert body["properties"]["files"]["type"] == "array"
    run_op = paths["/api/v1/imports/runs/{public_id}"]["get"]
    assert {"200", "401", "404"} <= set(run_op["responses"])
    assert run_op["security"] == [{"ApiTokenAuth": []}]


# Linkage afterwards


def test_new_records_queue_identity_resolution_after_the_import_commits(
    admins: dict[str, Any], push: Callable[..., Any], django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = push(admins["GWP"], "police-csv", ["police/occurrences.csv"])
    assert response.status_code == 201
    assert len(callbacks) == 1
    task = DBTaskResult.objects.get(task_path=LINK_TASK)
    assert task.status == "READY"
    # What the worker will do: no model trained yet, so new records wait where they are.
    from hafan.ingest.tasks import link_new_records

    assert link_new_records.call() == {"matched": 0}


def test_nothing_new_queues_nothing_but_a_changed_record_is_rematched(
    admins: dict[str, Any], push: Callable[..., Any], django_capture_on_commit_callbacks: Any
) -> None:
    push(admins["GWP"], "police-csv", ["police/occurrences.csv"])
    with django_capture_on_commit_callbacks(execute=True):
        assert push(admins["GWP"], "police-csv", ["police/occurrences.csv"]).status_code == 201
        assert push(admins["GWP"], "police-csv", ["police/occurrences.csv"], dry_run=True).status_code == 200
        assert push(admins["GWP"], "fhir", ["fhir/truncated.json"]).status_code == 422
    assert link_tasks() == 0
    # A changed record loses its matches (hafan.ingest.services._update_records): it must be matched again.
    with django_capture_on_commit_callbacks(execute=True):
        response = push(admins["GWP"], "police-csv", ["police/occurrences_changed.csv"])
    assert response.json()["records_changed"] == 1
    assert link_tasks() == 1


def test_a_push_without_files_or_with_an_empty_or_binary_file_is_422(
    admins: dict[str, Any], as_user: Any
) -> None:
    client = as_user(admins["GWP"])
    missing = client.post(f"{API}/police-csv", data={"agency": "GWP"})
    assert missing.status_code == 422
    assert "files" in missing.json()["errors"]
    for content, reason in ((b"", "empty"), (b"occurrence_number\x00\n", "NUL")):
        response = client.post(f"{API}/police-csv", data={"files": [SimpleUploadedFile("f.csv", content)]})
        assert response.status_code == 422
        assert reason in response.json()["rejection_reason"]
    assert written() == NOTHING
