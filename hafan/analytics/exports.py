"""The quarterly report's underlying figures as CSV and XLSX (issue 8, item 4), suppressed as the PDF is.

CSV: one long table (table, row, column, value), so that every table of the report fits one file that any tool
reads. XLSX: one sheet per table, laid out as in the report, with the marking and the period on top. A withheld
figure is the text "<5" (for a threshold of 5) in both; every other figure is a number.
"""

from __future__ import annotations

import csv
import io

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from hafan.analytics.reports import Report, ShownTable, small_number_threshold, suppress_durations, suppressed

# Excel's limit for a sheet's name, and the characters it refuses in one.
SHEET_NAME_MAX = 31
_SHEET_UNSAFE = str.maketrans(dict.fromkeys("[]:*?/\\", " "))


def withheld_text() -> str:
    return f"<{small_number_threshold()}"


def _cell(value: int | None) -> int | str:
    return withheld_text() if value is None else value


def table_lines(shown: ShownTable) -> list[tuple[str, str, int | str]]:
    """(row, column, value) for each figure of a suppressed table, totals included."""
    table = shown.table
    total = _("Total")
    out: list[tuple[str, str, int | str]] = []
    for label, figures, row_total in shown.rows:
        out += [(label, column, _cell(v)) for column, v in zip(table.columns, figures, strict=True)]
        if shown.has_row_totals:
            out.append((label, total, _cell(row_total)))
    if shown.has_column_totals and shown.totals is not None:
        out += [(total, column, _cell(v)) for column, v in zip(table.columns, shown.totals, strict=True)]
        if shown.has_row_totals:
            out.append((total, total, _cell(shown.grand_total)))
    return out


def report_csv(report: Report) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["period", "table", "table_title", "row", "column", "value"])
    period = report.quarter.slug if report.quarter else f"{report.filters.since}..{report.filters.until}"
    for shown in suppressed(report):
        for row, column, value in table_lines(shown):
            writer.writerow([period, shown.table.key, shown.table.title, row, column, value])
    for duration in suppress_durations(report.durations):
        for column, median in ((report.period_label, duration.this), (report.last_year_label, duration.last)):
            writer.writerow(
                [period, "durations", _("How long"), duration.label, column, "" if median is None else median]
            )
    return out.getvalue()


def _sheet_name(text: str, used: set[str]) -> str:
    base = text.translate(_SHEET_UNSAFE).strip()[:SHEET_NAME_MAX] or "Sheet"
    name, n = base, 2
    while name.casefold() in used:
        suffix = f" ({n})"
        name = base[: SHEET_NAME_MAX - len(suffix)] + suffix
        n += 1
    used.add(name.casefold())
    return name


def report_xlsx(report: Report) -> bytes:
    workbook = Workbook()
    bold = Font(bold=True)
    used: set[str] = set()
    marking = _("OFFICIAL-SENSITIVE")
    first = True
    for shown in suppressed(report):
        table = shown.table
        sheet = workbook.active if first else workbook.create_sheet()
        assert sheet is not None
        first = False
        sheet.title = _sheet_name(table.key, used)
        sheet.append([marking])
        sheet.append([report.partnership, report.period_label])
        sheet.append([table.title])
        sheet.append([])
        header = [table.row_header, *table.columns]
        if shown.has_row_totals:
            header.append(_("Total"))
        sheet.append(header)
        for label, figures, row_total in shown.rows:
            line: list[int | str] = [label, *(_cell(v) for v in figures)]
            if shown.has_row_totals:
                line.append(_cell(row_total))
            sheet.append(line)
        if shown.has_column_totals and shown.totals is not None:
            line = [_("Total"), *(_cell(v) for v in shown.totals)]
            if shown.has_row_totals:
                line.append(_cell(shown.grand_total))
            sheet.append(line)
        if table.note:
            sheet.append([])
            sheet.append([table.note])
        for cell in (sheet["A1"], sheet["A3"]):
            cell.font = bold
        for cell in sheet[5]:
            cell.font = bold
        sheet.column_dimensions["A"].width = 48
    sheet = workbook.create_sheet(_sheet_name("durations", used))
    sheet.append([marking])
    sheet.append([report.partnership, report.period_label])
    sheet.append([_("How long")])
    sheet.append([])
    sheet.append([_("Measure"), report.period_label, report.last_year_label])
    for duration in suppress_durations(report.durations):
        sheet.append([duration.label, duration.this, duration.last])
    sheet.column_dimensions["A"].width = 60
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
