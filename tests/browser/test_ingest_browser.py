"""An agency administrator uploads a police export on the Imports page, walked in Chromium."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from hafan.ingest.models import ImportRun, ImportStatus
from hafan.people.models import SourceRecord
from tests.browser.conftest import axe_violations, sign_in
from tests.conftest import PERSONA_PASSWORD

pytestmark = pytest.mark.browser

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "ingest" / "police" / "occurrences_errors.csv"


def test_upload_a_police_export_and_read_its_error_report(
    live_server: Any, transactional_db: Any, staff: dict[str, Any], partnership: dict[str, Any], new_page: Any
) -> None:
    page = new_page()
    sign_in(page, live_server.url, "admin", PERSONA_PASSWORD)
    page.get_by_role("link", name="Imports", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Imports")
    expect(page.get_by_test_id("no-imports")).to_be_visible()
    assert axe_violations(page) == []

    page.get_by_label("Format").select_option("police-csv")
    page.get_by_label("File", exact=True).set_input_files(str(FIXTURE))
    with page.expect_navigation():
        page.get_by_role("button", name="Import", exact=True).click()

    run = ImportRun.objects.get()
    assert run.status == ImportStatus.SUCCEEDED
    expect(page).to_have_url(re.compile(rf"/imports/{run.public_id}/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("occurrences_errors.csv")
    expect(page.get_by_test_id("count-new")).to_have_text(str(run.records_new))
    expect(page.get_by_test_id("count-rejected")).to_have_text(str(run.records_rejected))
    assert run.records_new > 0 and run.records_rejected > 0
    errors = page.get_by_test_id("import-error")
    expect(errors).to_have_count(run.row_errors.count())
    expect(errors.first).to_contain_text("date_of_birth")
    expect(page.get_by_test_id("import-errors")).to_contain_text("spreadsheet formula")
    expect(page.get_by_test_id("error-report-csv")).to_be_visible()
    # A finished run does not poll (only the notification bell in the navigation does).
    assert page.locator('[hx-get*="part=progress"]').count() == 0
    assert page.locator("[hx-trigger]").count() == page.locator("#navigation [hx-trigger]").count()
    assert axe_violations(page) == []
    assert SourceRecord.objects.count() == run.records_new

    # Back to the history, which now lists the import.
    page.get_by_role("link", name="All imports").click()
    expect(page.get_by_test_id("import-row")).to_have_count(1)
    expect(page.get_by_test_id("import-row")).to_contain_text("occurrences_errors.csv")
    assert axe_violations(page) == []
