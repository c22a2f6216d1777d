"""Identity resolution in the hub: training, matching new records, decisions, merges and splits.

The model (hafan.linkage.engine, the only code that imports Splink) scores pairs of source records.
This module turns scores into decisions in three bands (settings HAFAN_LINK_UPPER / _LOWER):
link automatically, queue for review, or leave apart. Two rules are never broken automatically:
a pair a person rejected is never linked again, and identities are only ever split by a person.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from hafan.core.crypto import LookupKind, lookup_hash
from hafan.core.errors import InvalidAction, NotPermitted
from hafan.core.vocabulary import Purpose
from hafan.episodes.models import Episode
from hafan.linkage.models import (
    HUMAN_STATUSES,
    Band,
    BlockingKey,
    DecisionStatus,
    IdentityChange,
    IdentityChangeKind,
    LinkageModelVersion,
    MatchDecision,
    RecordLinkage,
)
from hafan.linkage.records import FieldEvidence, LinkRecord, PairScore, TrainedModel
from hafan.people.identifiers import nhs_number_is_valid, upn_is_valid
from hafan.people.models import Child, Fact, PlanStatus, ResponsePlan, SourceRecord
from hafan.referrals.models import Referral
from hafan.sharing import policy
from hafan.sharing.access import actor_for, forget_relations
from hafan.sharing.audit import audit_record
from hafan.sharing.models import AuditAction

HUB_SYSTEM = "Hafan"


class _LazyEngine:
    """hafan.linkage.engine imports Splink and DuckDB; load them only when matching actually runs."""

    def __getattr__(self, name: str) -> Any:
        from hafan.linkage import engine as loaded

        return getattr(loaded, name)


engine: Any = _LazyEngine()
CANDIDATE_LIMIT = 200


def link_record_for(record: SourceRecord) -> LinkRecord:
    return LinkRecord(
        record_id=record.pk,
        agency=record.agency.code if record.agency_id else "",
        given_name=record.given_name,
        family_name=record.family_name,
        other_names=record.other_names,
        date_of_birth=record.date_of_birth,
        sex=record.sex,
        postcode=record.postcode,
        address=record.address,
        nhs_number=record.nhs_number,
        upn=record.upn,
    )


def band_for(probability: float) -> Band:
    if probability >= settings.HAFAN_LINK_UPPER:
        return Band.LINK
    if probability >= settings.HAFAN_LINK_LOWER:
        return Band.REVIEW
    return Band.NO_LINK


# The trained model, cached per version: loading Splink settings is cheap, but not free per request.
_MODEL_CACHE: dict[int, TrainedModel] = {}


def active_model() -> tuple[LinkageModelVersion, TrainedModel] | None:
    version = LinkageModelVersion.objects.filter(is_active=True).order_by("-version").first()
    if version is None:
        return None
    if version.pk not in _MODEL_CACHE:
        _MODEL_CACHE[version.pk] = TrainedModel(
            settings=version.trained_settings,
            seed=version.seed,
            trained_on_records=version.trained_on_records,
            splink_version=version.splink_version,
        )
    return version, _MODEL_CACHE[version.pk]


@transaction.atomic
def model_train(*, actor: Any = None, seed: int = 2013) -> LinkageModelVersion:
    """Trains a new model version on every source record the hub holds, and makes it the active one.
    Decisions made by people are untouched by retraining."""
    records = [link_record_for(r) for r in SourceRecord.objects.select_related("agency")]
    trained = engine.train_model(records, seed=seed)
    last = LinkageModelVersion.objects.order_by("-version").values_list("version", flat=True).first() or 0
    LinkageModelVersion.objects.filter(is_active=True).update(is_active=False)
    version = LinkageModelVersion.objects.create(
        version=last + 1,
        trained_settings=trained.settings,
        seed=seed,
        trained_on_records=trained.trained_on_records,
        splink_version=trained.splink_version,
        trained_at=timezone.now(),
        trained_by=actor if getattr(actor, "is_authenticated", False) else None,
        is_active=True,
    )
    _MODEL_CACHE[version.pk] = trained
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        purpose=Purpose.ADMINISTRATION,
        target_type="linkage_model",
        target_id=version.public_id,
        detail={"version": version.version, "records": trained.trained_on_records, "seed": seed},
    )
    return version


# Identifier blocking keys ("nhs:<number>") are stored as keyed hashes, so that the key table is no index of
# NHS numbers and UPNs (docs/encryption.md). The other keys stay as the engine makes them.
_KEYED_BLOCKING_PREFIXES: dict[str, tuple[str, LookupKind]] = {
    "nhs:": ("nhsk:", "nhs"),
    "upn:": ("upnk:", "upn"),
}


def stored_blocking_keys(link_record: LinkRecord) -> set[str]:
    """The record's blocking keys as BlockingKey stores and looks them up."""
    keys: set[str] = set()
    for key in engine.blocking_keys(link_record):
        prefix = key[:4]
        if prefix in _KEYED_BLOCKING_PREFIXES:
            stored_prefix, kind = _KEYED_BLOCKING_PREFIXES[prefix]
            key = stored_prefix + lookup_hash(kind, key[4:])
        keys.add(key)
    return keys


def blocking_keys_refresh(*, record: SourceRecord) -> None:
    """Keeps the record's candidate keys in step with its details (called whenever a record is written)."""
    keys = stored_blocking_keys(link_record_for(record))
    BlockingKey.objects.filter(record=record).exclude(key__in=keys).delete()
    existing = set(BlockingKey.objects.filter(record=record).values_list("key", flat=True))
    BlockingKey.objects.bulk_create([BlockingKey(record=record, key=k) for k in sorted(keys - existing)])


def blocking_keys_fill(record_ids: Sequence[int]) -> None:
    """Indexes records written in bulk (agency imports) for candidate lookup, 500 at a time."""
    for start in range(0, len(record_ids), 500):
        chunk = list(record_ids[start : start + 500])
        records = SourceRecord.objects.filter(pk__in=chunk).select_related("agency")
        BlockingKey.objects.filter(record_id__in=chunk).delete()
        BlockingKey.objects.bulk_create(
            [
                BlockingKey(record=record, key=key)
                for record in records
                for key in sorted(stored_blocking_keys(link_record_for(record)))
            ]
        )


def candidates_for(link_record: LinkRecord, *, exclude_ids: Iterable[int] = ()) -> list[SourceRecord]:
    keys = stored_blocking_keys(link_record)
    ids = (
        BlockingKey.objects.filter(key__in=keys)
        .exclude(record_id__in=list(exclude_ids))
        .values_list("record_id", flat=True)
        .distinct()[:CANDIDATE_LIMIT]
    )
    return list(
        SourceRecord.objects.filter(
            pk__in=list(ids), child__merged_into__isnull=True, withdrawn_at__isnull=True
        ).select_related("agency", "child")
    )


@dataclass(frozen=True)
class PossibleMatch:
    child: Child
    probability: float
    record: SourceRecord
    evidence: tuple[FieldEvidence, ...]


def possible_matches(link_record: LinkRecord, *, exclude_ids: Iterable[int] = ()) -> list[PossibleMatch]:
    """Hub identities this person may be, best first, at or above the lower threshold. Empty until a
    model has been trained."""
    model = active_model()
    if model is None:
        return []
    candidates = candidates_for(link_record, exclude_ids=exclude_ids)
    if not candidates:
        return []
    by_id = {c.pk: c for c in candidates}
    best: dict[int, PossibleMatch] = {}
    for score in engine.score_candidates(model[1], link_record, [link_record_for(c) for c in candidates]):
        other_id = score.right_id if score.left_id == link_record.record_id else score.left_id
        record = by_id.get(other_id)
        if record is None or score.probability < settings.HAFAN_LINK_LOWER:
            continue
        current = best.get(record.child_id)
        if current is None or score.probability > current.probability:
            best[record.child_id] = PossibleMatch(record.child, score.probability, record, score.evidence)
    return sorted(best.values(), key=lambda m: -m.probability)


def _valid_identifiers(child: Child) -> tuple[set[str], set[str]]:
    rows = list(SourceRecord.objects.filter(child=child).values_list("nhs_number", "upn"))
    return (
        {n for n, _u in rows if n and nhs_number_is_valid(n)},
        {u for _n, u in rows if u and upn_is_valid(u)},
    )


def merge_refusal(a: Child, b: Child) -> str | None:
    """Why two identities must not be merged automatically, or None."""
    if a.pk == b.pk:
        return None
    rejected = MatchDecision.objects.filter(status=DecisionStatus.REJECTED).filter(
        Q(left__child=a, right__child=b) | Q(left__child=b, right__child=a)
    )
    if rejected.exists():
        return _("A person decided that records of these two identities are different children.")
    nhs_a, upn_a = _valid_identifiers(a)
    nhs_b, upn_b = _valid_identifiers(b)
    if (nhs_a and nhs_b and not nhs_a & nhs_b) or (upn_a and upn_b and not upn_a & upn_b):
        return _("The two identities hold different valid NHS numbers or pupil numbers.")
    return None


def decision_upsert(
    *, score: PairScore, model_version: LinkageModelVersion | None, status: DecisionStatus
) -> MatchDecision:
    """Records what the model said about a pair. A decision a person made is never overwritten."""
    left_id, right_id = sorted((score.left_id, score.right_id))
    existing = MatchDecision.objects.filter(left_id=left_id, right_id=right_id).first()
    values = {
        "probability": score.probability,
        "match_weight": score.match_weight,
        "evidence": [[e.comparison, e.level, round(e.match_weight, 3)] for e in score.evidence],
        "model_version": model_version,
        "band": band_for(score.probability),
        "upper_threshold": settings.HAFAN_LINK_UPPER,
        "lower_threshold": settings.HAFAN_LINK_LOWER,
    }
    if existing is None:
        return MatchDecision.objects.create(left_id=left_id, right_id=right_id, status=status, **values)
    if existing.status in HUMAN_STATUSES:
        return existing
    for name, value in values.items():
        setattr(existing, name, value)
    existing.status = status
    existing.save()
    return existing


def _merge_risk_and_response(*, keep: Child, merge: Child) -> None:
    """Risk and response (issue 6) follows the child too. Profile versions continue after the survivor's own
    (the newest of the two becomes current by date); an open hub task of a kind the survivor already has open
    is closed as a duplicate (at most one open task per child and kind)."""
    from hafan.people.models import ChildProfile
    from hafan.risk.models import ExploitationScreening, HubTask, HubTaskStatus

    kept_versions = list(ChildProfile.objects.filter(child=keep).order_by("prepared_at", "version"))
    merged_versions = list(ChildProfile.objects.filter(child=merge).order_by("prepared_at", "version"))
    if merged_versions:
        ordered = sorted(
            kept_versions + merged_versions, key=lambda p: (p.prepared_at, p.child_id != keep.pk)
        )
        # Move out of the way first: (child, version) is unique.
        top = max([p.version for p in kept_versions + merged_versions], default=0)
        for offset, profile in enumerate(ordered, start=1):
            ChildProfile.objects.filter(pk=profile.pk).update(child=keep, version=top + offset)
        for number, profile in enumerate(ordered, start=1):
            ChildProfile.objects.filter(pk=profile.pk).update(version=number)
    ExploitationScreening.objects.filter(child=merge).update(child=keep)

    open_kinds = set(
        HubTask.objects.filter(child=keep, status=HubTaskStatus.OPEN).values_list("kind", flat=True)
    )
    HubTask.objects.filter(child=merge, status=HubTaskStatus.OPEN, kind__in=open_kinds).update(
        status=HubTaskStatus.DONE, completed_at=timezone.now(), outcome="Duplicate: the identity was merged."
    )
    HubTask.objects.filter(child=merge).update(child=keep)


@transaction.atomic
def child_merge(
    *, keep: Child, merge: Child, actor: Any = None, decision: MatchDecision | None = None, reason: str = ""
) -> Child:
    """Moves everything the hub holds about `merge` onto `keep`; `merge` remains as a pointer."""
    if keep.pk == merge.pk:
        return keep
    moved = list(SourceRecord.objects.filter(child=merge).values_list("public_id", flat=True))
    SourceRecord.objects.filter(child=merge).update(child=keep)
    Fact.objects.filter(child=merge).update(child=keep)
    Episode.objects.filter(child=merge).update(child=keep)
    # At most one proposal waits per child: the survivor's own stands, the merged identity's is replaced (it
    # was made without the survivor's history; whoever proposes next sees both identities' history).
    if ResponsePlan.objects.filter(child=keep, status=PlanStatus.PROPOSED).exists():
        ResponsePlan.objects.filter(child=merge, status=PlanStatus.PROPOSED).update(
            status=PlanStatus.SUPERSEDED
        )
    ResponsePlan.objects.filter(child=merge).update(child=keep)
    Referral.objects.filter(child=merge).update(child=keep)
    # What governs access to, and keeps, the child's record follows it too: allocations, emergency access,
    # the disclosure log, legal holds and subject-access requests.
    from hafan.people.models import Allocation
    from hafan.rights.models import SubjectAccessRequest
    from hafan.sharing.models import BreakGlassGrant, Disclosure, LegalHold

    for model in (Allocation, BreakGlassGrant, Disclosure, LegalHold, SubjectAccessRequest):
        model.objects.filter(child=merge).update(child=keep)  # type: ignore[attr-defined]
    _merge_risk_and_response(keep=keep, merge=merge)
    Child.objects.filter(merged_into=merge).update(merged_into=keep)
    forget_relations()  # allocations and grants moved to the surviving child
    merge.merged_into = keep
    merge.save(update_fields=["merged_into", "updated_at"])
    if keep.responsible_council_id is None and merge.responsible_council_id is not None:
        keep.responsible_council_id = merge.responsible_council_id
        keep.save(update_fields=["responsible_council", "updated_at"])
    IdentityChange.objects.create(
        kind=IdentityChangeKind.MERGE,
        from_child=merge,
        to_child=keep,
        source_records=[str(p) for p in moved],
        decision=decision,
        reason=reason,
        changed_by=actor if getattr(actor, "is_authenticated", False) else None,
        changed_at=timezone.now(),
    )
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        purpose=Purpose.MISSING_EPISODE,
        target_type="child",
        target_id=keep.public_id,
        child_public_id=keep.public_id,
        detail={
            "merged": str(merge.public_id),
            "records": len(moved),
            "decision": str(decision.public_id) if decision else None,
        },
    )
    return keep


def _survivor(a: Child, b: Child) -> tuple[Child, Child]:
    """The older identity survives, so that addresses people already use keep working."""
    return (a, b) if a.pk < b.pk else (b, a)


def _apply_link(decision: MatchDecision, *, actor: Any) -> bool:
    left = SourceRecord.objects.select_related("child").get(pk=decision.left_id)
    right = SourceRecord.objects.select_related("child").get(pk=decision.right_id)
    if left.child_id == right.child_id:
        return False
    if merge_refusal(left.child, right.child):
        return False
    keep, merge = _survivor(left.child, right.child)
    # The model made this link, not the person whose action triggered the matching.
    child_merge(keep=keep, merge=merge, actor=None, decision=decision, reason=IdentityChange.AUTOMATIC_LINK)
    return True


@transaction.atomic
def record_match(*, record: SourceRecord, actor: Any = None) -> list[MatchDecision]:
    """Incremental matching of one record against existing identities, with the active model."""
    model = active_model()
    decisions: list[MatchDecision] = []
    if model is not None:
        version, trained = model
        link_record = link_record_for(record)
        candidates = candidates_for(link_record, exclude_ids=[record.pk])
        scores = engine.score_candidates(trained, link_record, [link_record_for(c) for c in candidates])
        for score in sorted(scores, key=lambda s: -s.probability):
            band = band_for(score.probability)
            if band == Band.NO_LINK:
                continue
            decision = decision_upsert(
                score=score,
                model_version=version,
                status=DecisionStatus.AUTO_LINKED if band == Band.LINK else DecisionStatus.PENDING,
            )
            if decision.status == DecisionStatus.AUTO_LINKED and not _apply_link(decision, actor=actor):
                same = (
                    SourceRecord.objects.filter(pk__in=[decision.left_id, decision.right_id])
                    .values("child")
                    .distinct()
                    .count()
                    == 1
                )
                if not same:
                    # A link the rules refuse (a rejected pair, conflicting identifiers) goes to a person instead.
                    decision.status = DecisionStatus.PENDING
                    decision.save(update_fields=["status", "updated_at"])
            decisions.append(decision)
        RecordLinkage.objects.update_or_create(
            record=record, defaults={"model_version": version, "matched_at": timezone.now()}
        )
    return decisions


@transaction.atomic
def model_adopt_current_identities(*, actor: Any = None, seed: int = 2013) -> LinkageModelVersion:
    """Trains a model and records every existing source record as matched by it, without re-scoring:
    for a hub whose records are already linked (moving from another system, or the demo). New records
    and reports are then matched incrementally; `hafan link --full` re-scores everything if wanted."""
    version = model_train(actor=actor, seed=seed)
    _mark_matched(list(SourceRecord.objects.values_list("pk", flat=True)), version=version, at=timezone.now())
    return version


def _mark_matched(record_ids: list[int], *, version: LinkageModelVersion, at: datetime.datetime) -> None:
    """Records that these source records were matched by `version`: a few statements per 500 records,
    not one per record (and within SQLite's limit on query parameters)."""
    for start in range(0, len(record_ids), 500):
        chunk = record_ids[start : start + 500]
        RecordLinkage.objects.filter(record_id__in=chunk).update(model_version=version, matched_at=at)
        done = set(RecordLinkage.objects.filter(record_id__in=chunk).values_list("record_id", flat=True))
        RecordLinkage.objects.bulk_create(
            [
                RecordLinkage(record_id=pk, model_version=version, matched_at=at)
                for pk in chunk
                if pk not in done
            ]
        )


@dataclass
class LinkRunSummary:
    model_version: int | None
    trained: bool
    records_matched: int
    auto_links: int
    merges: int
    queued_for_review: int
    seconds: float


def link_run(
    *,
    actor: Any = None,
    full: bool = False,
    seed: int = 2013,
    progress: Callable[[int, int], None] | None = None,
) -> LinkRunSummary:
    """Links every unlinked record (or, with full=True, retrains and re-scores every pair), keeping every
    decision a person made. Identities are merged automatically, never split."""
    started = timezone.now()
    trained = False
    if full or active_model() is None:
        if not SourceRecord.objects.exists():
            return LinkRunSummary(None, False, 0, 0, 0, 0, 0.0)
        model_train(actor=actor, seed=seed)
        trained = True
    model = active_model()
    assert model is not None
    version, trained_model = model
    merges_before = IdentityChange.objects.filter(kind=IdentityChangeKind.MERGE).count()
    auto = queued = matched = 0
    # Records an import wrote (or changed) since they were last matched are indexed first, so that they
    # can find each other as candidates.
    blocking_keys_fill(
        list(
            SourceRecord.objects.exclude(pk__in=RecordLinkage.objects.values("record_id")).values_list(
                "pk", flat=True
            )
        )
    )
    if full:
        records = list(SourceRecord.objects.select_related("agency"))
        scores = engine.predict_pairs(
            trained_model, [link_record_for(r) for r in records], threshold=settings.HAFAN_LINK_LOWER
        )
        scores.sort(key=lambda s: -s.probability)
        total = len(scores)
        for i, score in enumerate(scores, start=1):
            with transaction.atomic():
                band = band_for(score.probability)
                decision = decision_upsert(
                    score=score,
                    model_version=version,
                    status=DecisionStatus.AUTO_LINKED if band == Band.LINK else DecisionStatus.PENDING,
                )
                if decision.status == DecisionStatus.AUTO_LINKED:
                    auto += 1
                    _apply_link(decision, actor=actor)
                elif decision.status == DecisionStatus.PENDING:
                    queued += 1
            if progress:
                progress(i, total)
        now = timezone.now()
        _mark_matched([r.pk for r in records], version=version, at=now)
        matched = len(records)
    else:
        pending = list(
            SourceRecord.objects.exclude(pk__in=RecordLinkage.objects.values("record_id")).select_related(
                "agency", "child"
            )
        )
        total = len(pending)
        for i, record in enumerate(pending, start=1):
            record.refresh_from_db(fields=["child"])
            for decision in record_match(record=record, actor=actor):
                if decision.status == DecisionStatus.AUTO_LINKED:
                    auto += 1
                elif decision.status == DecisionStatus.PENDING:
                    queued += 1
            matched += 1
            if progress:
                progress(i, total)
    merges = IdentityChange.objects.filter(kind=IdentityChangeKind.MERGE).count() - merges_before
    return LinkRunSummary(
        model_version=version.version,
        trained=trained,
        records_matched=matched,
        auto_links=auto,
        merges=merges,
        queued_for_review=queued,
        seconds=(timezone.now() - started).total_seconds(),
    )


class ReviewOutcome:
    ACCEPT = "accept"
    REJECT = "reject"
    NOT_SURE = "not_sure"
    ALL = (ACCEPT, REJECT, NOT_SURE)


@transaction.atomic
def decision_review(*, decision: MatchDecision, reviewer: Any, outcome: str) -> MatchDecision:
    """A person's decision on a pair: accept merges the two identities; reject keeps them apart for good."""
    if not policy.can_manage_identities(actor_for(reviewer)):
        raise NotPermitted(
            _("Only hub police staff and social workers decide whether records are the same child.")
        )
    if outcome not in ReviewOutcome.ALL:
        raise ValidationError({"outcome": _("Choose whether the records are the same child.")})
    decision = MatchDecision.objects.select_for_update().get(pk=decision.pk)
    left = SourceRecord.objects.select_related("child").get(pk=decision.left_id)
    right = SourceRecord.objects.select_related("child").get(pk=decision.right_id)
    before = decision.status
    if outcome == ReviewOutcome.ACCEPT:
        refusal = merge_refusal(left.child, right.child)
        if refusal and left.child_id != right.child_id:
            raise InvalidAction(refusal)
        decision.status = DecisionStatus.ACCEPTED
    elif outcome == ReviewOutcome.REJECT:
        if left.child_id == right.child_id:
            raise InvalidAction(_("These records are already one identity: split the identity instead."))
        decision.status = DecisionStatus.REJECTED
    else:
        decision.status = DecisionStatus.NOT_SURE
    decision.decided_by = reviewer
    decision.decided_at = timezone.now()
    decision.save(update_fields=["status", "decided_by", "decided_at", "updated_at"])
    audit_record(
        actor=reviewer,
        action=AuditAction.UPDATE,
        purpose=Purpose.MISSING_EPISODE,
        target_type="match_decision",
        target_id=decision.public_id,
        child_public_id=left.child.public_id,
        detail={
            "status": [before, decision.status],
            "other_child": str(right.child.public_id),
            "probability": decision.probability,
        },
    )
    if outcome == ReviewOutcome.ACCEPT and left.child_id != right.child_id:
        keep, merge = _survivor(left.child, right.child)
        child_merge(
            keep=keep,
            merge=merge,
            actor=reviewer,
            decision=decision,
            reason=IdentityChange.ACCEPTED_IN_REVIEW,
        )
    return decision


@transaction.atomic
def child_split(*, child: Child, records: Sequence[SourceRecord], actor: Any, reason: str) -> Child:
    """Splits wrongly merged records out into a new identity. What came with those records moves with
    them (their facts, and the episodes they reported with the debrief learning and referrals); the
    split pairs are marked as different children so the model never joins them again."""
    if not policy.can_manage_identities(actor_for(actor)):
        raise NotPermitted(_("Only hub police staff and social workers split identities."))
    ids = {r.pk for r in records}
    current = set(SourceRecord.objects.filter(child=child).values_list("pk", flat=True))
    if not ids:
        raise ValidationError({"records": _("Choose the records that belong to a different child.")})
    if not ids <= current:
        raise ValidationError({"records": _("Choose only records of this identity.")})
    if ids == current:
        raise ValidationError({"records": _("Leave at least one record with this identity.")})
    if not reason.strip():
        raise ValidationError({"reason": _("Say why these records are a different child.")})
    moving = list(SourceRecord.objects.filter(pk__in=ids).order_by("-recorded_on", "pk"))
    first = moving[0]
    new_child = Child.objects.create(
        given_name=first.given_name,
        family_name=first.family_name,
        date_of_birth=first.date_of_birth,
        sex=first.sex,
        responsible_council=child.responsible_council,
    )
    SourceRecord.objects.filter(pk__in=ids).update(child=new_child)
    Fact.objects.filter(child=child, source_record_id__in=ids).update(child=new_child)
    references = [r.local_id for r in moving if r.system == HUB_SYSTEM]
    episodes = Episode.objects.filter(child=child, reference__in=references)
    Fact.objects.filter(child=child, debrief__episode__in=episodes).update(child=new_child)
    Referral.objects.filter(child=child, episode__in=episodes).update(child=new_child)
    episodes.update(child=new_child)
    remaining = current - ids
    now = timezone.now()
    for a in ids:
        for b in remaining:
            left_id, right_id = sorted((a, b))
            MatchDecision.objects.update_or_create(
                left_id=left_id,
                right_id=right_id,
                defaults={
                    "probability": 0.0,
                    "match_weight": 0.0,
                    "band": Band.NO_LINK,
                    "upper_threshold": settings.HAFAN_LINK_UPPER,
                    "lower_threshold": settings.HAFAN_LINK_LOWER,
                    "status": DecisionStatus.REJECTED,
                    "decided_by": actor,
                    "decided_at": now,
                },
            )
    IdentityChange.objects.create(
        kind=IdentityChangeKind.SPLIT,
        from_child=child,
        to_child=new_child,
        source_records=[str(r.public_id) for r in moving],
        reason=reason.strip(),
        changed_by=actor,
        changed_at=now,
    )
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        purpose=Purpose.MISSING_EPISODE,
        target_type="child",
        target_id=child.public_id,
        child_public_id=child.public_id,
        detail={"split_to": str(new_child.public_id), "records": len(moving), "reason": reason.strip()},
    )
    return new_child
