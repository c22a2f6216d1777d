"""Importing agency files: validate every row first, then write valid records in small transactions.

The pipeline, the same for every format (docs/ingest/README.md):

1. **Check** (`_validate`): the adapter parses the whole file, streamed. Rows that fail a check go to the
   error report. A problem with the file as a whole (encoding, structure, hostile XML, truncation)
   rejects it: nothing is written.
2. **Write** (`_write`): the file is parsed again and its valid records are written in batches, each in
   one transaction (a crash leaves whole batches or nothing; a re-run completes the import, because
   unchanged rows are recognised by their content hash and skipped). A new record is attached to the
   child its identifiers already point at, or to a new child; identity resolution then matches new
   records incrementally. A changed record gets a new version (the old one is kept); facts it no longer
   states are withdrawn, not deleted. On a full refresh, records missing from the file are withdrawn.
"""

from __future__ import annotations

import contextlib
import csv
import datetime
import hashlib
import os
import pickle
import tempfile
import tomllib
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import IO, Any

from defusedcsv import csv as defused_csv
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from hafan.agencies.models import Agency
from hafan.core.crypto import nhs_number_key, upn_key
from hafan.core.errors import NotPermitted
from hafan.core.vocabulary import AgencyKind, FactCategory, Purpose, ShareBasis
from hafan.episodes.models import Episode, EpisodeStatus
from hafan.ingest.adapters import UnknownFormat, adapter_for
from hafan.ingest.adapters.base import Adapter, ParseContext
from hafan.ingest.bulk import RawJson, insert_rows, select_in
from hafan.ingest.models import CodeMapping, ImportChannel, ImportRowError, ImportRun, ImportStatus
from hafan.ingest.reading import Source, check_size
from hafan.ingest.records import EpisodeIn, FileRejected, IngestRecord, RowError
from hafan.ingest.vocabularies import NATIONAL_CODES, CodeBook, normalise_code
from hafan.linkage.models import BlockingKey, RecordLinkage
from hafan.people.models import Child, Fact, Sex, SourceRecord, SourceRecordVersion
from hafan.sharing import policy
from hafan.sharing.access import actor_for
from hafan.sharing.audit import audit_record
from hafan.sharing.models import AuditAction

MAX_STORED_ERRORS = 10_000
SEXES = frozenset(Sex.values)
ProgressCallback = Callable[[ImportRun], None]


@dataclass(frozen=True)
class ImportRequest:
    format: str
    sources: Sequence[Source]
    agency: Agency
    actor: Any = None  # the staff user, or None for the command line run by the hub's operators
    channel: ImportChannel = ImportChannel.COMMAND
    mapping_text: str | None = None
    dry_run: bool = False
    full_refresh: bool = False


def codebook_for(agency: Agency) -> CodeBook:
    """The national code lists (in code, and as seeded rows an administrator may correct), overridden by
    the agency's own mappings."""
    mapping = {(vocab, code): value for vocab, code, value in NATIONAL_CODES}
    rows = CodeMapping.objects.filter(agency__isnull=True).values_list(
        "vocabulary", "source_code", "hafan_value"
    )
    mapping.update({(v, c): value for v, c, value in rows})
    own = CodeMapping.objects.filter(agency=agency).values_list("vocabulary", "source_code", "hafan_value")
    mapping.update({(v, c): value for v, c, value in own})
    return CodeBook(mapping)


def code_mappings_seed(agency: Agency, mappings: Iterable[tuple[str, str, str]]) -> int:
    """Adds an agency's own code mappings (the demo and tests use it; administrators use the admin)."""
    added = 0
    for vocabulary, code, value in mappings:
        _, created = CodeMapping.objects.get_or_create(
            agency=agency,
            vocabulary=vocabulary,
            normalised_code=normalise_code(code),
            defaults={"source_code": code, "hafan_value": value},
        )
        added += created
    return added


def import_run(
    request: ImportRequest, *, progress: ProgressCallback | None = None, run: ImportRun | None = None
) -> ImportRun:
    """Checks and imports one agency file (or, for multi-table formats, one set of files)."""
    if request.actor is not None and not policy.can_import_agency_data(
        actor_for(request.actor), agency_code=request.agency.code
    ):
        raise NotPermitted("Only the agency's own administrators import its data.")
    name = ", ".join(s.name for s in request.sources)[:300]
    if run is None:
        run = ImportRun.objects.create(
            format=request.format,
            agency=request.agency,
            file_name=name,
            file_size=sum(s.size for s in request.sources),
            imported_by=request.actor if getattr(request.actor, "is_authenticated", False) else None,
            channel=request.channel,
            dry_run=request.dry_run,
            full_refresh=request.full_refresh,
            started_at=timezone.now(),
        )
    try:
        adapter, context = _prepare(request)
        run.file_sha256 = _sha256(request.sources)
        run.save(update_fields=["file_sha256", "updated_at"])
        # The valid records wait in a temporary file between the passes: memory stays flat, and the file
        # is parsed once.
        with tempfile.TemporaryFile(prefix="hafan-import-") as spool:
            _validate(run, adapter, request.sources, context, spool)
            if request.dry_run:
                with contextlib.suppress(_RollBack), transaction.atomic():
                    _write(run, request, spool, progress=None)
                    raise _RollBack
                run.status = ImportStatus.DRY_RUN
            else:
                run.status = ImportStatus.WRITING
                run.save(update_fields=["status", "rows_total", "records_rejected", "updated_at"])
                systems = _write(run, request, spool, progress=progress)
                if request.full_refresh:
                    _withdraw_missing(run, request, systems)
                run.status = ImportStatus.SUCCEEDED
    except FileRejected as exc:
        run.status = ImportStatus.REJECTED
        run.rejection_reason = storable(str(exc))
        run.records_new = run.records_changed = run.records_unchanged = run.records_withdrawn = 0
    except Exception as exc:
        run.status = ImportStatus.FAILED
        run.rejection_reason = f"The import stopped ({type(exc).__name__}). Whole batches already written are kept; run it again to complete it."
        run.finished_at = timezone.now()
        run.save()
        raise
    run.finished_at = timezone.now()
    run.save()
    audit_record(
        actor=request.actor,
        action=AuditAction.CREATE,
        purpose=Purpose.AGENCY_FEED,
        target_type="import_run",
        target_id=run.public_id,
        detail={
            "format": run.format,
            "agency": run.agency.code,
            "status": run.status,
            "new": run.records_new,
            "changed": run.records_changed,
            "unchanged": run.records_unchanged,
            "rejected": run.records_rejected,
            "withdrawn": run.records_withdrawn,
        },
    )
    return run


class _RollBack(Exception):
    """Raised to undo a dry run's writes once it has counted them."""


def _prepare(request: ImportRequest) -> tuple[Adapter, ParseContext]:
    try:
        adapter = adapter_for(request.format)
    except UnknownFormat as exc:
        raise FileRejected(str(exc)) from exc
    if not request.sources:
        raise FileRejected("No file was given.")
    if len(request.sources) > 1 and not adapter.accepts_many_files:
        raise FileRejected(f"The {request.format} format takes one file at a time.")
    for source in request.sources:
        check_size(source)
    mapping: dict[str, Any] | None = None
    if request.mapping_text is not None:
        try:
            mapping = tomllib.loads(request.mapping_text)
        except tomllib.TOMLDecodeError as exc:
            raise FileRejected(f"The mapping file is not valid TOML: {exc}", "mapping") from exc
    elif adapter.needs_mapping:
        raise FileRejected(f"The {request.format} format needs a mapping file (--mapping).")
    context = ParseContext(
        agency_code=request.agency.code,
        codes=codebook_for(request.agency),
        mapping=mapping,
        today=timezone.localdate(),
    )
    return adapter, context


def _sha256(sources: Sequence[Source]) -> str:
    digest = hashlib.sha256()
    for source in sources:
        with source.open() as raw:
            while chunk := raw.read(1 << 20):
                digest.update(chunk)
    return digest.hexdigest()


def _validate(
    run: ImportRun, adapter: Adapter, sources: Sequence[Source], context: ParseContext, spool: IO[bytes]
) -> int:
    """Pass 1: parse everything, record the rejected rows and spool the valid records in batches.
    Returns the number of valid records."""
    valid = rejected = 0
    batch: list[IngestRecord] = []
    size = settings.HAFAN_IMPORT_BATCH_SIZE
    rejected_locations: set[str] = set()
    pending: list[ImportRowError] = []
    stored = 0
    for item in adapter.parse(sources, context):
        if isinstance(item, RowError):
            if item.location not in rejected_locations:
                rejected_locations.add(item.location)
                rejected += 1
            if stored < MAX_STORED_ERRORS:
                pending.append(_row_error(run, item))
                stored += 1
            if len(pending) >= 1000:
                ImportRowError.objects.bulk_create(pending)
                pending = []
        else:
            valid += 1
            batch.append(item)
            if len(batch) >= size:
                pickle.dump(batch, spool, protocol=pickle.HIGHEST_PROTOCOL)
                batch = []
    if batch:
        pickle.dump(batch, spool, protocol=pickle.HIGHEST_PROTOCOL)
    spool.seek(0)
    ImportRowError.objects.bulk_create(pending)
    run.rows_total = valid + rejected
    run.records_rejected = rejected
    return valid


def _row_error(run: ImportRun, error: RowError) -> ImportRowError:
    return ImportRowError(
        run=run,
        location=storable(error.location)[:300],
        field=storable(error.field)[:100],
        reason=storable(error.reason)[:500],
        value=storable(error.value)[:200],
    )


def storable(text: str) -> str:
    """Text quoted from a hostile file can hold what no database stores: lone surrogates (from JSON
    escapes) and NUL. They are shown escaped (\\ud800, \\x00) in reports and reasons, never stored raw."""
    cleaned = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return cleaned.replace("\x00", "\\x00")


def _spooled(spool: IO[bytes]) -> Iterator[list[IngestRecord]]:
    """The batches pass 1 spooled, each read and fingerprinted by a helper thread while the batch before it
    is being written (the database works while Python prepares). The spool is this process's own file."""

    def load() -> list[IngestRecord] | None:
        try:
            batch: list[IngestRecord] = pickle.load(spool)  # noqa: S301 - our own temporary file
        except EOFError:
            return None
        for record in batch:
            record.content_hash()  # cached on the record
        return batch

    spool.seek(0)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="hafan-import") as pool:
        future = pool.submit(load)
        while (batch := future.result()) is not None:
            future = pool.submit(load)
            yield batch


def _write(
    run: ImportRun, request: ImportRequest, spool: IO[bytes], *, progress: ProgressCallback | None
) -> set[str]:
    """Pass 2: write the valid records, batch by batch, each batch in one transaction."""
    systems: set[str] = set()
    for batches, batch in enumerate(_spooled(spool), start=1):
        with transaction.atomic():
            if connection.vendor == "postgresql":
                # Each batch is whole or absent either way; not waiting for the disk at each commit means
                # a power cut can lose the last moments' batches, which re-running the file restores.
                # The batch's lookups are index probes for a few thousand keys. While a bulk load outgrows the
                # planner's statistics it would scan whole tables instead, and compiling (JIT) costs more
                # than it saves: both are switched off for the batch's own transaction.
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL synchronous_commit TO OFF")
                    cursor.execute("SET LOCAL jit TO OFF")
                    cursor.execute("SET LOCAL enable_seqscan TO OFF")
            # One writer per agency at a time: concurrent imports of the same file cannot both create a record.
            Agency.objects.select_for_update().filter(pk=request.agency.pk).first()
            _write_batch(run, request.agency, batch)
            run.rows_done += len(batch)
            run.save(
                update_fields=[
                    "rows_done",
                    "records_new",
                    "records_changed",
                    "records_unchanged",
                    "records_rejected",
                    "episodes_new",
                    "facts_new",
                    "updated_at",
                ]
            )
        systems.update(r.system for r in batch)
        if connection.vendor == "postgresql" and batches & (batches - 1) == 0:
            # A bulk load outgrows the planner's statistics: refresh them as the tables double (batches
            # 1, 2, 4, 8...), so that each batch's lookups keep using their indexes.
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE people_child, people_sourcerecord, people_fact, episodes_episode")
        if progress:
            progress(run)
    return systems


@dataclass(frozen=True)
class _Written:
    """A record written in this batch: new or changed."""

    item: IngestRecord
    digest: str
    pk: int
    child_id: int
    version: int


def _write_batch(run: ImportRun, agency: Agency, batch: list[IngestRecord]) -> None:
    now = timezone.now()
    systems = {b.system for b in batch}
    names = [
        "pk",
        "system",
        "local_id",
        "child_id",
        "content_hash",
        "version",
        "withdrawn_at",
        "last_seen_run_id",
    ]
    existing: dict[tuple[str, str], dict[str, Any]] = {}
    for system in systems:  # (agency, system, local_id) is the unique index: give it all three
        ids = list({b.local_id for b in batch if b.system == system})
        for row in select_in(
            SourceRecord, names, "local_id", ids, where={"agency_id": agency.pk, "system": system}
        ):
            existing[(row[1], row[2])] = dict(zip(names, row, strict=True))
    seen: dict[tuple[str, str], str] = {}
    new: list[tuple[IngestRecord, str]] = []
    changed: list[tuple[IngestRecord, str, dict[str, Any]]] = []
    unchanged: list[int] = []
    duplicates: list[RowError] = []
    for record in batch:
        key = (record.system, record.local_id)
        digest = record.content_hash()
        current = existing.get(key)
        if key in seen or (current is not None and current["last_seen_run_id"] == run.pk):
            # Seen earlier in this file: the same content again is harmless, different content is an error.
            first = seen.get(key) or (current["content_hash"] if current is not None else None)
            if first == digest:
                run.records_unchanged += 1
            else:
                duplicates.append(
                    RowError(
                        record.location, "", f"record {record.local_id} appears more than once in the file"
                    )
                )
            continue
        seen[key] = digest
        if current is None:
            new.append((record, digest))
        elif current["content_hash"] == digest and current["withdrawn_at"] is None:
            unchanged.append(current["pk"])
        else:
            changed.append((record, digest, dict(current)))
    if duplicates:
        run.records_rejected += len(duplicates)
        ImportRowError.objects.bulk_create([_row_error(run, d) for d in duplicates])
    if unchanged:
        SourceRecord.objects.filter(pk__in=unchanged).update(last_seen_run=run)
        run.records_unchanged += len(unchanged)
    written: list[_Written] = []
    if new:
        written += _create_records(run, agency, new)
        run.records_new += len(new)
    if changed:
        written += _update_records(run, changed, now)
        run.records_changed += len(changed)
    if not written:
        return
    insert_rows(
        SourceRecordVersion,
        [
            {
                "record_id": w.pk,
                "version": w.version,
                "content_hash": w.digest,
                "payload": RawJson(w.item.payload_json()),
                "import_run_id": run.pk,
                "created_at": now,
            }
            for w in written
        ],
    )
    run.facts_new += _write_facts(agency, written, now)
    run.episodes_new += _write_episodes(agency, written)


def _record_fields(item: IngestRecord) -> dict[str, Any]:
    person = item.person
    return {
        "given_name": person.given_name,
        "family_name": person.family_name,
        "other_names": person.other_names[:200],
        "date_of_birth": person.date_of_birth,
        "sex": person.sex if person.sex in SEXES else Sex.UNKNOWN,
        "address": person.address[:300],
        "postcode": person.postcode.strip().upper()[:10],
        "nhs_number": person.nhs_number,
        "upn": person.upn,
        "nhs_number_key": nhs_number_key(person.nhs_number),
        "upn_key": upn_key(person.upn),
        "recorded_on": item.recorded_on,
        "person_ref": item.person_ref[:100],
        "ethnicity": item.ethnicity[:16],
        "phone": item.phone[:40],
        "email": item.email[:200],
    }


def _create_records(run: ImportRun, agency: Agency, new: list[tuple[IngestRecord, str]]) -> list[_Written]:
    """New records: indexed and matched by identity resolution afterwards (hafan.linkage.services)."""
    child_ids = _children_for(agency, [item for item, _ in new])
    ids = insert_rows(
        SourceRecord,
        [
            {
                "child_id": child_ids[i],
                "agency_id": agency.pk,
                "system": item.system,
                "local_id": item.local_id,
                "content_hash": digest,
                "version": 1,
                "last_seen_run_id": run.pk,
                **_record_fields(item),
            }
            for i, (item, digest) in enumerate(new)
        ],
        returning_ids=True,
    )
    return [
        _Written(item, digest, pk, child_ids[i], 1)
        for i, ((item, digest), pk) in enumerate(zip(new, ids, strict=True))
    ]


def _children_for(agency: Agency, items: list[IngestRecord]) -> list[int]:
    """The hub child for each new record: the one its agency person id or a valid NHS number / UPN already
    points at (when exactly one child), else a new child. Fuzzier matches are identity resolution's job."""
    refs = {i.person_ref for i in items if i.person_ref}
    by_key: dict[tuple[str, str], set[int]] = {}
    # By person_ref's own index alone: the agency is checked here, as a condition on it could lead the
    # planner to read all of the agency's records.
    for ref, holder, held_by in select_in(
        SourceRecord, ["person_ref", "child_id", "agency_id"], "person_ref", list(refs)
    ):
        if held_by == agency.pk:
            by_key.setdefault(("ref", ref), set()).add(holder)
    # Identifiers through their keyed hashes (docs/encryption.md): the plaintext never reaches the SQL.
    identifier_keys = [
        (("nhs_number_key", nhs_number_key(i.person.nhs_number)), ("upn_key", upn_key(i.person.upn)))
        for i in items
    ]
    for field in ("nhs_number_key", "upn_key"):
        values = {value for pair in identifier_keys for f, value in pair if f == field and value}
        for value, holder in select_in(SourceRecord, [field, "child_id"], field, list(values)):
            by_key.setdefault((field, value), set()).add(holder)
    # For each record: an existing child id, or ("same as" the index of an earlier record in this batch),
    # or None (a new child).
    chosen: list[int | None] = []
    same_as: dict[int, int] = {}
    first_with: dict[tuple[str, str], int] = {}
    for index, item in enumerate(items):
        keys = [("ref", item.person_ref)] if item.person_ref else []
        keys += [(f, value) for f, value in identifier_keys[index] if value]
        owner: int | None = None
        for key in keys:
            found = by_key.get(key)
            if found and len(found) == 1:
                owner = next(iter(found))
                break
        if owner is None:
            earlier = next((first_with[k] for k in keys if k in first_with), None)
            if earlier is not None:
                same_as[index] = earlier
        chosen.append(owner)
        for key in keys:
            first_with.setdefault(key, index)
    creating = [i for i, owner in enumerate(chosen) if owner is None and i not in same_as]
    council_id = agency.pk if agency.kind == AgencyKind.COUNCIL else None
    new_ids = insert_rows(
        Child,
        [
            {
                "given_name": items[i].person.given_name,
                "family_name": items[i].person.family_name,
                "date_of_birth": items[i].person.date_of_birth,
                "sex": items[i].person.sex if items[i].person.sex in SEXES else Sex.UNKNOWN,
                "responsible_council_id": council_id,
            }
            for i in creating
        ],
        returning_ids=True,
    )
    created = dict(zip(creating, new_ids, strict=True))
    result: list[int] = []
    for i, picked in enumerate(chosen):
        if picked is not None:
            result.append(picked)
        elif i in same_as:
            result.append(result[same_as[i]])
        else:
            result.append(created[i])
    return result


def _update_records(
    run: ImportRun, changed: list[tuple[IngestRecord, str, dict[str, Any]]], now: datetime.datetime
) -> list[_Written]:
    """Changed records: refreshed, versioned, and sent back to identity resolution to be re-matched."""
    records = SourceRecord.objects.in_bulk([current["pk"] for _, _, current in changed])
    fields = [
        *_record_fields(changed[0][0]).keys(),
        "content_hash",
        "version",
        "withdrawn_at",
        "last_seen_run",
    ]
    written: list[_Written] = []
    for item, digest, current in changed:
        record = records[current["pk"]]
        for name, value in _record_fields(item).items():
            setattr(record, name, value)
        record.content_hash = digest
        record.version += 1
        record.withdrawn_at = None
        record.last_seen_run = run
        record.updated_at = now
        written.append(_Written(item, digest, record.pk, record.child_id, record.version))
    SourceRecord.objects.bulk_update(list(records.values()), [*fields, "updated_at"])
    ids = list(records)
    BlockingKey.objects.filter(record_id__in=ids).delete()
    RecordLinkage.objects.filter(record_id__in=ids).delete()
    return written


def _write_facts(agency: Agency, written: list[_Written], now: datetime.datetime) -> int:
    """Each record's facts as it now states them: new ones created, ones it no longer states withdrawn."""
    agency_kind = AgencyKind(agency.kind)
    current: dict[int, dict[tuple[str, str, datetime.date], int]] = {}
    withdrawn: dict[int, dict[tuple[str, str, datetime.date], int]] = {}
    corrected: dict[int, set[tuple[str, str, datetime.date]]] = {}
    changed_ids = [w.pk for w in written if w.version > 1]
    if changed_ids:
        for pk, record_id, category, summary, recorded_on, withdrawn_at, superseded_by in Fact.objects.filter(
            source_record_id__in=changed_ids
        ).values_list(
            "pk", "source_record_id", "category", "summary", "recorded_on", "withdrawn_at", "superseded_by_id"
        ):
            if superseded_by is not None:
                # Rectified in the hub: the agency stating the old wording again must not bring it back.
                corrected.setdefault(record_id, set()).add((category, summary, recorded_on))
                continue
            target = withdrawn if withdrawn_at else current
            target.setdefault(record_id, {})[(category, summary, recorded_on)] = pk
    rows: list[dict[str, Any]] = []
    to_withdraw: list[int] = []
    to_restore: list[int] = []
    for w in written:
        wanted = {
            (f.category, f.summary.strip(), f.recorded_on or w.item.recorded_on)
            for f in w.item.facts
            if f.summary.strip()
        }
        have = current.get(w.pk, {})
        gone = withdrawn.get(w.pk, {})
        source = f"{w.item.system} {w.item.local_id}"[:200]
        for key in sorted(wanted):
            if key in have or key in corrected.get(w.pk, ()):
                continue
            if key in gone:
                to_restore.append(gone[key])
                continue
            category, summary, recorded_on = key
            data_category = policy.data_category_for(
                source_agency_kind=agency_kind, category=FactCategory(category), from_debrief=False
            )
            rows.append(
                {
                    "child_id": w.child_id,
                    "agency_id": agency.pk,
                    "source_record_id": w.pk,
                    "category": category,
                    "data_category": data_category.value,
                    "handling": policy.default_handling(data_category).value,
                    "share_basis": ShareBasis.NONE.value,
                    "summary": summary,
                    "recorded_on": recorded_on,
                    "source": source,
                }
            )
        to_withdraw += [pk for key, pk in have.items() if key not in wanted]
    insert_rows(Fact, rows)
    if to_withdraw:
        Fact.objects.filter(pk__in=to_withdraw).update(withdrawn_at=now)
    if to_restore:
        Fact.objects.filter(pk__in=to_restore).update(withdrawn_at=None)
    return len(rows)


def _episode_fields(episode: EpisodeIn) -> dict[str, Any]:
    # An episode the force has closed is history for the hub (repeat counts, the briefing's past episodes);
    # one still open is live: the hub sees the child is missing now.
    returned = episode.returned_at
    return {
        "category": episode.category,
        "status": EpisodeStatus.CLOSED if returned else EpisodeStatus.MISSING,
        "reported_at": episode.reported_at,
        "reporter_name": (episode.reporter or "Police occurrence")[:200],
        "last_seen_at": episode.last_seen_at,
        "last_seen_place": episode.last_seen_place[:300],
        "circumstances": episode.circumstances,
        "returned_at": returned,
        "found_where": episode.found_where[:300],
        "found_by": episode.found_by,
        "closed_at": returned,
        "recorded_risk_grade": episode.risk_grade,
    }


def _write_episodes(agency: Agency, written: list[_Written]) -> int:
    wanted = {ep.occurrence_number: (ep, w) for w in written for ep in w.item.episodes}
    if not wanted:
        return 0
    known = [
        row[0]
        for row in select_in(
            Episode,
            ["occurrence_number"],
            "occurrence_number",
            list(wanted),
            where={"source_agency_id": agency.pk},
            not_empty=True,
        )
    ]
    existing = {}
    if known:
        existing = {
            e.occurrence_number: e
            for e in Episode.objects.filter(source_agency=agency, occurrence_number__in=known)
        }
    councils: dict[int, int | None] = dict(
        select_in(
            Child, ["id", "responsible_council_id"], "id", list({w.child_id for _, w in wanted.values()})
        )  # type: ignore[arg-type]
    )
    rows: list[dict[str, Any]] = []
    to_update: list[Episode] = []
    for number, (episode, w) in wanted.items():
        fields = _episode_fields(episode)
        # The record's own fingerprint covers its episode: an unchanged record has an unchanged episode.
        digest = w.digest
        found = existing.get(number)
        if found is None:
            rows.append(
                {
                    "reference": f"{agency.code}-{number}"[:32],
                    "child_id": w.child_id,
                    "council_id": councils.get(w.child_id),
                    "source_agency_id": agency.pk,
                    "occurrence_number": number,
                    "content_hash": digest,
                    **fields,
                }
            )
        elif found.content_hash != digest:
            for name, value in fields.items():
                setattr(found, name, value)
            found.content_hash = digest
            to_update.append(found)
    insert_rows(Episode, rows)
    if to_update:
        Episode.objects.bulk_update(
            to_update, [*_episode_fields(next(iter(wanted.values()))[0]), "content_hash"]
        )
    return len(rows)


def _withdraw_missing(run: ImportRun, request: ImportRequest, systems: set[str]) -> None:
    """A full refresh lists every record the system holds: the ones it no longer lists are withdrawn.

    Skipped when rows were rejected, since a rejected row's record would be withdrawn by mistake."""
    if run.records_rejected:
        run.rejection_reason = (
            f"Records missing from this full refresh were not withdrawn, because {run.records_rejected} "
            "row(s) were rejected: correct them and import the file again."
        )
        return
    if not systems:
        return
    run.records_withdrawn = (
        SourceRecord.objects.filter(agency=request.agency, system__in=systems, withdrawn_at__isnull=True)
        .exclude(last_seen_run=run)
        .update(withdrawn_at=timezone.now())
    )


def error_report_rows(run: ImportRun) -> Iterator[list[str]]:
    """The error report as CSV rows (header first): the file-level reason, then each rejected row."""
    yield ["location", "field", "reason", "value"]
    if run.status == ImportStatus.REJECTED:
        yield [run.file_name, "", run.rejection_reason, ""]
    for error in run.row_errors.all().iterator():
        yield [error.location, error.field, error.reason, error.value]


def error_report_write(run: ImportRun, path: str) -> str:
    """Writes the error report next to the input; cells that a spreadsheet would run are neutralised."""
    with open(path, "w", newline="", encoding="utf-8") as out:
        writer = defused_csv.writer(out, quoting=csv.QUOTE_MINIMAL)
        for row in error_report_rows(run):
            writer.writerow(row)
    run.error_report_path = os.path.abspath(path)
    run.save(update_fields=["error_report_path", "updated_at"])
    return path


def import_link_new_records(*, actor: Any = None) -> Any:
    """Incremental identity resolution for records not yet matched. Needs a trained model: until the hub
    has one (`hafan link` trains it), new records wait, attached to their own or their identifiers' child."""
    from hafan.linkage.services import active_model, link_run

    if active_model() is None:
        return None
    return link_run(actor=actor)


def import_link_later() -> None:
    """Queues incremental linkage once the import's transaction has committed."""
    from hafan.ingest.tasks import link_new_records

    transaction.on_commit(link_new_records.enqueue)
