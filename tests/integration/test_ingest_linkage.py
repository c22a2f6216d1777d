"""After an import, new records go to identity resolution: the same person already known to the hub
ends up on the same child, through the trained model rather than an exact identifier."""

from __future__ import annotations

import csv
import datetime
from io import StringIO
from pathlib import Path
from typing import Any

from django.core.management import call_command

from hafan.core.vocabulary import Purpose
from hafan.ingest.models import ImportRun
from hafan.linkage.models import RecordLinkage
from hafan.linkage.synthetic import generate
from hafan.people.models import Child, SourceRecord
from hafan.people.services import PersonDetails, child_create, source_record_upsert

MAPPING = """
[source]
system = "Youth service register"
id_column = "Ref"
date_formats = ["%Y-%m-%d"]

[columns]
given_name = "First"
family_name = "Last"
date_of_birth = "Born"
sex = "Sex"
address = "Address"
postcode = "Postcode"
"""


def test_imported_records_are_matched_to_the_children_the_hub_knows(
    partnership: dict[str, Any], tmp_path: Path
) -> None:
    records, _ = generate(400, seed=11)
    known: list[tuple[PersonDetails, int]] = []
    for r in records:
        if not (r.given_name and r.family_name and r.date_of_birth and r.postcode):
            continue
        details = PersonDetails(
            given_name=r.given_name,
            family_name=r.family_name,
            date_of_birth=r.date_of_birth,
            sex=r.sex,
            postcode=r.postcode,
            address=r.address,
        ).cleaned()
        child = child_create(details=details, actor=None, purpose=Purpose.AGENCY_FEED)
        source_record_upsert(
            child=child,
            agency=partnership["NCC"],
            system="Synthetic",
            local_id=f"SYN-{r.record_id}",
            details=details,
            recorded_on=datetime.date(2026, 1, 1),
            actor=None,
        )
        known.append((details, child.pk))
    call_command("link", "--no-progress", stdout=StringIO())  # trains the model on the hub's records

    # Another agency's register names eight of these children: no NHS number, no UPN, no shared id.
    sample = known[::50][:8]
    people = tmp_path / "register.csv"
    with people.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Ref", "First", "Last", "Born", "Sex", "Address", "Postcode"])
        for i, (d, _) in enumerate(sample):
            sex = {"female": "F", "male": "M"}.get(d.sex, "U")
            writer.writerow(
                [f"YS-{i}", d.given_name, d.family_name, d.date_of_birth, sex, d.address, d.postcode]
            )
    mapping = tmp_path / "register.toml"
    mapping.write_text(MAPPING, encoding="utf-8")

    out = StringIO()
    call_command("import", "generic", str(people), "--agency", "TCBC", "--mapping", str(mapping), stdout=out)
    assert ImportRun.objects.get().records_new == len(sample)
    assert "Identity resolution: " in out.getvalue()
    imported = SourceRecord.objects.filter(agency__code="TCBC")
    # Every imported record was indexed and matched by the model...
    assert RecordLinkage.objects.filter(record__in=imported).count() == len(sample)
    # ...and records identical in every field landed on the child the hub already had.
    for i, (_, child_id) in enumerate(sample):
        record = imported.get(local_id=f"YS-{i}")
        # The older identity survives a merge (the first `link` run merged the hub's own duplicates too),
        # so the record now sits on the surviving identity of the child the hub already had.
        live = Child.objects.get(pk=child_id)
        while live.merged_into_id is not None:
            live = Child.objects.get(pk=live.merged_into_id)
        assert record.child_id == live.pk, f"YS-{i} was not matched to its child"
