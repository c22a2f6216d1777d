"""The API's request and response bodies. Field descriptions become the OpenAPI schema's documentation.

Codes (categories, grades, statuses) are the same values the pages and `docs/glossary.md` use.
Times must carry a timezone offset: a naive time is refused with 422.
"""

from __future__ import annotations

import datetime
import uuid

from ninja import Field, Schema
from pydantic import AwareDatetime

from hafan.core.vocabulary import DataCategory, FactCategory, Handling, RiskGrade
from hafan.debriefs.models import FindingKind, Indicator, OfferStatus, PullFactor, PushFactor, ShareBasis
from hafan.episodes.models import EpisodeCategory, EpisodeStatus, FoundBy
from hafan.people.models import Sex
from hafan.risk.models import Answer, RiskFactor, RiskQuestion

# Errors


class ErrorOut(Schema):
    detail: str = Field(description="What went wrong, in words a person can act on.")


class ValidationErrorOut(Schema):
    detail: str = Field(
        description="A summary: the request was understood but its values are not acceptable."
    )
    errors: dict[str, str] = Field(
        description="One message per field, keyed by the field's path in the request body (e.g. `child.nhs_number`)."
    )


# Reporting a child missing


class ChildIn(Schema):
    given_name: str = Field(max_length=100, description="The child's given name, as the reporter gives it.")
    family_name: str = Field(max_length=100, description="The child's family name.")
    date_of_birth: datetime.date | None = Field(None, description="Date of birth, if known (YYYY-MM-DD).")
    sex: Sex = Field(Sex.UNKNOWN, description="The child's sex, if known.")
    other_names: str = Field("", max_length=200, description="Nicknames and other names the child uses.")
    nhs_number: str = Field(
        "", max_length=20, description="NHS number (10 digits, spaces allowed); checked by its check digit."
    )
    upn: str = Field(
        "", max_length=20, description="Unique pupil number (13 characters); checked by its check letter."
    )
    address: str = Field("", max_length=300, description="The address the child went missing from.")
    postcode: str = Field("", max_length=10, description="Postcode of that address.")


class EpisodeReportIn(Schema):
    child: ChildIn = Field(
        description="Who is missing. Matched to an existing hub identity by NHS number, UPN, "
        "or exact name and date of birth; otherwise a new identity is made."
    )
    category: EpisodeCategory = Field(
        description="Missing from home, missing from care or away from placement. `absent_legacy` is refused."
    )
    reported_at: AwareDatetime = Field(description="When the child was reported missing.")
    reporter_name: str = Field(max_length=200, description="Who reported the child missing.")
    reporter_organisation: str = Field("", max_length=200, description="The reporter's organisation, if any.")
    last_seen_at: AwareDatetime = Field(description="When the child was last seen; before `reported_at`.")
    last_seen_place: str = Field(max_length=300, description="Where the child was last seen.")
    circumstances: str = Field("", description="What happened before the child went missing.")
    clothing: str = Field("", description="What the child was wearing.")
    council_code: str | None = Field(
        None,
        max_length=16,
        description="Code of the partnership council responsible for the child, if known.",
    )


class EpisodeReportedOut(Schema):
    public_id: uuid.UUID = Field(description="The episode's identifier in this API.")
    reference: str = Field(description="The hub's reference for the episode, e.g. MIS-2026-000123.")
    status: EpisodeStatus = Field(description="The episode's status: `missing` when just reported.")
    child_public_id: uuid.UUID = Field(description="The hub identity the child was matched to or given.")
    matched_existing: bool = Field(
        description="True when the child matched a hub identity that already existed."
    )


# The briefing


class ChildOut(Schema):
    public_id: uuid.UUID = Field(description="The child's hub identity.")
    given_name: str
    family_name: str
    date_of_birth: datetime.date | None = Field(description="Date of birth, if known.")
    age: int | None = Field(description="Age in years today, if the date of birth is known.")
    sex: Sex
    responsible_council: str | None = Field(description="Code of the council responsible for the child.")


class EpisodeOut(Schema):
    public_id: uuid.UUID
    reference: str = Field(description="The hub's reference for the episode.")
    category: EpisodeCategory
    status: EpisodeStatus
    council: str | None = Field(description="Code of the responsible council when the episode was reported.")
    reported_at: datetime.datetime
    reporter_name: str
    reporter_organisation: str
    last_seen_at: datetime.datetime
    last_seen_place: str
    circumstances: str
    clothing: str
    returned_at: datetime.datetime | None = Field(description="When the child was found or returned.")
    found_where: str
    found_by: FoundBy | None
    harm_suffered: bool | None
    harm_details: str
    safe_and_well_at: datetime.datetime | None = Field(
        description="When the police safe and well check was done."
    )
    safe_and_well_by: str
    safe_and_well_notes: str


class FactOut(Schema):
    category: FactCategory = Field(description="What kind of fact this is.")
    summary: str = Field(description="The fact, as the agency recorded it.")
    source: str = Field(description="Who supplied it: system and reference, or the debrief it was learnt in.")
    recorded_on: datetime.date = Field(description="When the source recorded it.")
    agency: str = Field(description="Code of the agency that supplied it.")
    data_category: DataCategory = Field(description="The kind of information, as sharing agreements name it.")
    handling: Handling = Field(
        description="How far it may travel beyond the supplying agency: the receiving system must keep to it."
    )


class AgencyFactsOut(Schema):
    agency: str = Field(description="The supplying agency's name.")
    agency_code: str
    facts: list[FactOut]


class PlaceCountOut(Schema):
    place: str
    count: int


class FinderCountOut(Schema):
    found_by: str = Field(description="Who found the child, in words.")
    count: int


class EarlierEpisodeOut(Schema):
    public_id: uuid.UUID
    reference: str
    reported_at: datetime.datetime
    returned_at: datetime.datetime | None
    found_where: str


class EarlierEpisodesOut(Schema):
    count: int = Field(description="Episodes reported before this one.")
    in_last_period: int = Field(
        description="Of those, how many in the repeat-missing period (90 days by default)."
    )
    median_hours: float | None = Field(description="Median time missing, in hours.")
    longest_hours: float | None = Field(description="Longest time missing, in hours.")
    found_places: list[PlaceCountOut] = Field(
        description="The commonest places the child was found (top five)."
    )
    found_by: list[FinderCountOut]
    episodes: list[EarlierEpisodeOut] = Field(description="The ten most recent earlier episodes.")


class ResponsePlanOut(Schema):
    plan: str = Field(description="What carers, police and others do the next time the child is missing.")
    treat_as_grade: RiskGrade | None = Field(
        description="The lowest risk grade to start from, if the plan sets one."
    )
    agreed_by: str
    agreed_at: datetime.datetime
    social_worker_agreed: bool
    review_due: datetime.date


class RiskAnswerIn(Schema):
    answer: Answer = Field(description="yes, no or unknown.")
    note: str = Field(default="", description="What the answer rests on (up to 500 characters).")


class RiskAnswerOut(Schema):
    answer: Answer
    note: str
    prefilled: str = Field(description="What Hafan suggested from the agencies' data, if anything.")
    source: str = Field(description="Where the suggestion came from.")
    source_date: str
    corrected: bool = Field(description="The grader changed Hafan's suggestion.")


class RiskOut(Schema):
    public_id: uuid.UUID = Field(description="The assessment's identifier (used to confirm it).")
    grade: RiskGrade
    factors: list[str] = Field(description="Risk factor codes considered.")
    rationale: str
    author: str = Field(description="Who graded the risk.")
    assessed_at: datetime.datetime
    next_review_due: datetime.datetime
    confirmed_by: str | None = Field(description="The supervisor who confirmed the grade, once confirmed.")
    confirmed_at: datetime.datetime | None
    answers: dict[RiskQuestion, RiskAnswerOut] = Field(
        default_factory=dict, description="The structured questions, by code, as the grader answered them."
    )


class RiskConflictOut(Schema):
    detail: str = Field(description="What went wrong, in words a person can act on.")
    current: RiskOut | None = Field(
        default=None,
        description="The grade saved since the grader started: read it, then send again if yours stands.",
    )


class BriefingOut(Schema):
    child: ChildOut
    episode: EpisodeOut
    facts_by_agency: list[AgencyFactsOut] = Field(
        description="What each partner agency knows about the child and the caller may see, grouped by agency."
    )
    learnt_in_debriefs: list[FactOut] = Field(
        description="Places, associates and exploitation concerns shared back from earlier debriefs."
    )
    earlier_episodes: EarlierEpisodesOut
    response_plan: ResponsePlanOut | None = Field(description="The response plan in force, if any.")
    risk: RiskOut | None = Field(description="The current risk grade, if graded.")
    risk_history: list[RiskOut] = Field(description="Every grade for this episode, newest first.")
    repeat_missing: bool = Field(description="True when the child meets the repeat-missing threshold.")
    source_record_count: int = Field(description="How many agency records are linked to the child.")


# Risk


class RiskGradeIn(Schema):
    grade: RiskGrade = Field(description="The risk grade.")
    factors: list[RiskFactor] = Field(default_factory=list, description="The risk factors considered.")
    rationale: str = Field(description="Why this grade. If it departs from the response plan, say why.")
    departs_from_plan: bool = Field(
        default=False,
        description="Set when the grade is below the minimum in the child's response plan (refused otherwise).",
    )
    next_review_due: AwareDatetime = Field(description="When the grade must next be reviewed; after now.")
    answers: dict[RiskQuestion, RiskAnswerIn] = Field(
        default_factory=dict, description="The structured questions (College of Policing), by code."
    )
    based_on: uuid.UUID | None = Field(
        default=None,
        description=(
            "The assessment in force when the grader started (omit for a first grade only when none existed). "
            "If another grade was saved since, the answer is 409 with the current one and nothing is written."
        ),
    )


# Return


class ReturnIn(Schema):
    returned_at: AwareDatetime = Field(description="When the child was found or returned.")
    found_where: str = Field(max_length=300, description="Where the child was found or returned to.")
    found_by: FoundBy = Field(description="Who found the child.")
    harm_suffered: bool = Field(description="Whether the child suffered harm while missing.")
    harm_details: str = Field("", description="The harm suffered; required when `harm_suffered` is true.")
    safe_and_well_at: AwareDatetime | None = Field(
        None, description="When the police safe and well check was done."
    )
    safe_and_well_by: str = Field("", max_length=200, description="Who carried out the safe and well check.")
    safe_and_well_notes: str = Field("", description="Notes from the safe and well check.")


class ReturnOut(Schema):
    public_id: uuid.UUID
    reference: str
    status: EpisodeStatus
    returned_at: datetime.datetime
    debrief_due_by: datetime.datetime = Field(
        description="When the independent debrief is due (72 hours after return)."
    )


# Debriefs


class FindingIn(Schema):
    kind: FindingKind = Field(
        description="What the finding is about: a place, an associate, an indicator, ..."
    )
    text: str = Field("", description="What the child said (needed for every kind but `indicator`).")
    indicator: Indicator | None = Field(None, description="For `indicator` findings: which one.")
    share: ShareBasis = Field(
        ShareBasis.NONE,
        description="`consent`: the child agreed to share it; `safeguarding`: keeping the child safe requires "
        "it (give `safeguarding_reason`); `none`: it stays with the charity and never reaches the hub.",
    )
    safeguarding_reason: str = Field("", description="Why sharing without consent is needed.")
    public_id: uuid.UUID | None = Field(None, description="A finding already recorded that this row amends.")


class FindingOut(Schema):
    public_id: uuid.UUID
    kind: FindingKind
    indicator: Indicator | None
    text: str
    share: ShareBasis
    shared_fact: uuid.UUID | None = Field(description="The fact on the child's record, when shared.")


class DebriefIn(Schema):
    status: OfferStatus = Field(description="What happened to the offer. `awaiting` is refused.")
    offered_at: AwareDatetime | None = Field(None, description="When the debrief was offered.")
    held_at: AwareDatetime | None = Field(
        None, description="When the debrief was held; required when `held`."
    )
    not_offered_reason: str = Field(
        "", description="Why a debrief was not offered; required when `not_offered`."
    )
    where_went: str = Field("", description="Where the child went, in their words.")
    who_with: str = Field("", description="Who the child was with.")
    travel: str = Field("", description="How the child travelled.")
    push_factors: list[PushFactor] = Field(default_factory=list)
    pull_factors: list[PullFactor] = Field(default_factory=list)
    indicators: list[Indicator] = Field(default_factory=list, description="Harm and exploitation indicators.")
    harm_details: str = Field("")
    child_wishes: str = Field("", description="What the child wants to happen.")
    share_basis: ShareBasis = Field(
        ShareBasis.NONE, description="On what basis places and associates are shared back to the hub."
    )
    places_to_share: list[str] = Field(
        default_factory=list,
        description="Places to share with the hub: each becomes a fact on the child's record.",
    )
    associates_to_share: list[str] = Field(
        default_factory=list, description="Associates to share with the hub."
    )
    declined_reason: str = Field("", description="When `declined`: why, if the child said.")
    carer_seen: bool | None = Field(
        None, description="When `declined`: whether a parent or carer was seen instead (required)."
    )
    carer_seen_note: str = Field("")
    push_notes: str = Field("", description="Why the child left, in their words.")
    pull_notes: str = Field("", description="What drew the child away, in their words.")
    substance_use: str = Field("")
    sleeping_rough: bool | None = Field(None)
    what_would_help: str = Field("")
    findings: list[FindingIn] | None = Field(
        None,
        description="The debrief's findings, each with its own sharing decision. When given, the whole list: "
        "findings left out are removed (and a shared one's fact withdrawn). Left out, the recorded findings "
        "stay as they are. `share_basis` with `places_to_share`/`associates_to_share` is the older form.",
    )


class DebriefOut(Schema):
    public_id: uuid.UUID
    episode_reference: str
    status: OfferStatus
    due_by: datetime.datetime
    offered_at: datetime.datetime | None
    held_at: datetime.datetime | None
    share_basis: ShareBasis = Field(description="The strongest basis among the findings shared.")
    shared_facts: list[FactOut] = Field(description="What this debrief shared back to the child's record.")
    findings: list[FindingOut] = Field(default_factory=list)


class QueueChildOut(Schema):
    public_id: uuid.UUID
    given_name: str
    family_name: str
    date_of_birth: datetime.date | None


class DebriefQueueItemOut(Schema):
    public_id: uuid.UUID = Field(
        description="The debrief's identifier: POST to /debriefs/{public_id} to record it."
    )
    episode_public_id: uuid.UUID
    episode_reference: str
    child: QueueChildOut
    returned_at: datetime.datetime | None
    due_by: datetime.datetime
    overdue: bool = Field(description="True when the 72-hour deadline has passed.")
    status: OfferStatus
