"""The hub's shared vocabularies for agency codes, and the national code lists every agency shares.

Each agency's own codes (legal status, placement type, ethnicity, risk labels, exclusion types, flag
codes...) map to one of these vocabularies through `CodeMapping` rows, which administrators edit in the
admin. National standard codes (SSDA903 legal statuses and placements, DfE ethnicity codes, CTF
exclusion categories, PNC warning signals) are seeded as rows that apply to every agency; an
agency's own row for the same code overrides them. An unmapped code is reported as an error on its row,
never dropped or guessed.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass

from django.db.models import TextChoices
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from hafan.core.vocabulary import FactCategory, RiskGrade
from hafan.episodes.models import EpisodeCategory, FoundBy
from hafan.people.models import Sex


class Vocabulary(TextChoices):
    LEGAL_STATUS = "legal_status", _("Legal status")
    PLACEMENT_TYPE = "placement_type", _("Placement type")
    ETHNICITY = "ethnicity", _("Ethnicity")
    RISK_LABEL = "risk_label", _("Risk grade label")
    EXCLUSION_TYPE = "exclusion_type", _("Exclusion type")
    FLAG_CODE = "flag_code", _("Safeguarding flag code")
    SEX = "sex", _("Sex")
    MISSING_TYPE = "missing_type", _("Missing or away")
    FOUND_BY = "found_by", _("Found by")
    WARNING_MARKER = "warning_marker", _("Police warning marker")


class LegalStatus(TextChoices):
    INTERIM_CARE_ORDER = "interim_care_order", _("Interim care order")
    CARE_ORDER = "care_order", _("Care order")
    PLACEMENT_ORDER = "placement_order", _("Placement order")
    ACCOMMODATED = "accommodated", _("Accommodated with agreement (section 76)")
    EMERGENCY_PROTECTION = "emergency_protection", _("Emergency protection or police protection")
    REMAND = "remand", _("Remanded or detained")
    SHORT_BREAKS = "short_breaks", _("Short breaks")


class PlacementType(TextChoices):
    FOSTER_CARE = "foster_care", _("Foster care")
    KINSHIP_CARE = "kinship_care", _("Foster care with relatives or friends")
    RESIDENTIAL = "residential", _("Children's home")
    SECURE = "secure", _("Secure accommodation")
    INDEPENDENT_LIVING = "independent_living", _("Supported or independent living")
    WITH_PARENTS = "with_parents", _("Placed with parents")
    ADOPTION = "adoption", _("Placed for adoption")
    OTHER = "other", _("Other placement")


class Ethnicity(TextChoices):
    WHITE = "white", _("White")
    MIXED = "mixed", _("Mixed or multiple ethnic groups")
    ASIAN = "asian", _("Asian or Asian British")
    BLACK = "black", _("Black, Black British, Caribbean or African")
    OTHER = "other", _("Other ethnic group")
    NOT_STATED = "not_stated", _("Not stated")


class ExclusionType(TextChoices):
    FIXED_TERM = "fixed_term", _("Fixed-term exclusion")
    PERMANENT = "permanent", _("Permanent exclusion")
    LUNCHTIME = "lunchtime", _("Lunchtime exclusion")


class WarningMarker(TextChoices):
    VIOLENCE = "violence", _("Violent")
    WEAPONS = "weapons", _("Weapons")
    DRUGS = "drugs", _("Drugs")
    SELF_HARM = "self_harm", _("Self-harm")
    SUICIDAL = "suicidal", _("Suicidal")
    MENTAL_HEALTH = "mental_health", _("Mental health")
    ABSCONDER = "absconder", _("Absconder")
    EXPLOITATION = "exploitation", _("At risk of exploitation")


# The Hafan values each vocabulary maps to.
TARGETS: dict[str, type[TextChoices]] = {
    Vocabulary.LEGAL_STATUS: LegalStatus,
    Vocabulary.PLACEMENT_TYPE: PlacementType,
    Vocabulary.ETHNICITY: Ethnicity,
    Vocabulary.RISK_LABEL: RiskGrade,
    Vocabulary.EXCLUSION_TYPE: ExclusionType,
    Vocabulary.FLAG_CODE: FactCategory,
    Vocabulary.SEX: Sex,
    Vocabulary.MISSING_TYPE: EpisodeCategory,
    Vocabulary.FOUND_BY: FoundBy,
    Vocabulary.WARNING_MARKER: WarningMarker,
}


@functools.lru_cache(maxsize=1024)
def target_label(vocabulary: str, value: str) -> str:
    """The English label: fact summaries are stored once, in the agency's words, whatever the UI language."""
    choices = TARGETS[vocabulary]
    with translation.override("en"):
        return str(choices(value).label)


def normalise_code(code: str) -> str:
    """Codes compare without case or surrounding spaces: 'c2 ' and 'C2' are the same code."""
    return " ".join(code.split()).casefold()


# National code lists, seeded for every agency (hafan/ingest/migrations). (vocabulary, code, value).
NATIONAL_CODES: tuple[tuple[str, str, str], ...] = (
    # SSDA903 legal status (LS)
    *(
        (Vocabulary.LEGAL_STATUS, code, value)
        for code, value in (
            ("C1", LegalStatus.INTERIM_CARE_ORDER),
            ("C2", LegalStatus.CARE_ORDER),
            ("D1", LegalStatus.CARE_ORDER),
            ("E1", LegalStatus.PLACEMENT_ORDER),
            ("V2", LegalStatus.ACCOMMODATED),
            ("V3", LegalStatus.SHORT_BREAKS),
            ("V4", LegalStatus.SHORT_BREAKS),
            ("L1", LegalStatus.EMERGENCY_PROTECTION),
            ("L2", LegalStatus.EMERGENCY_PROTECTION),
            ("L3", LegalStatus.EMERGENCY_PROTECTION),
            ("J1", LegalStatus.REMAND),
            ("J2", LegalStatus.REMAND),
            ("J3", LegalStatus.REMAND),
        )
    ),
    # SSDA903 placement type (PLACE)
    *(
        (Vocabulary.PLACEMENT_TYPE, code, value)
        for code, value in (
            ("U1", PlacementType.KINSHIP_CARE),
            ("U2", PlacementType.KINSHIP_CARE),
            ("U3", PlacementType.KINSHIP_CARE),
            ("U4", PlacementType.FOSTER_CARE),
            ("U5", PlacementType.FOSTER_CARE),
            ("U6", PlacementType.FOSTER_CARE),
            ("A3", PlacementType.ADOPTION),
            ("A4", PlacementType.ADOPTION),
            ("A5", PlacementType.ADOPTION),
            ("A6", PlacementType.ADOPTION),
            ("P1", PlacementType.WITH_PARENTS),
            ("H5", PlacementType.INDEPENDENT_LIVING),
            ("P2", PlacementType.INDEPENDENT_LIVING),
            ("K1", PlacementType.SECURE),
            ("K2", PlacementType.RESIDENTIAL),
            ("R1", PlacementType.RESIDENTIAL),
            ("S1", PlacementType.RESIDENTIAL),
            ("Z1", PlacementType.OTHER),
        )
    ),
    # DfE / 903 ethnicity codes
    *(
        (Vocabulary.ETHNICITY, code, Ethnicity.WHITE)
        for code in ("WBRI", "WIRI", "WIRT", "WOTH", "WROM", "WSCO", "WWEL")
    ),
    *((Vocabulary.ETHNICITY, code, Ethnicity.MIXED) for code in ("MWBC", "MWBA", "MWAS", "MOTH")),
    *((Vocabulary.ETHNICITY, code, Ethnicity.ASIAN) for code in ("AIND", "APKN", "ABAN", "AOTH", "CHNE")),
    *((Vocabulary.ETHNICITY, code, Ethnicity.BLACK) for code in ("BCRB", "BAFR", "BOTH")),
    *((Vocabulary.ETHNICITY, code, Ethnicity.OTHER) for code in ("OOTH", "OARA")),
    *((Vocabulary.ETHNICITY, code, Ethnicity.NOT_STATED) for code in ("REFU", "NOBT")),
    # College of Policing risk labels
    (Vocabulary.RISK_LABEL, "No apparent risk", RiskGrade.VERY_LOW),
    (Vocabulary.RISK_LABEL, "Very low", RiskGrade.VERY_LOW),
    (Vocabulary.RISK_LABEL, "Low", RiskGrade.LOW),
    (Vocabulary.RISK_LABEL, "Medium", RiskGrade.MEDIUM),
    (Vocabulary.RISK_LABEL, "High", RiskGrade.HIGH),
    # CTF exclusion categories
    (Vocabulary.EXCLUSION_TYPE, "FIXD", ExclusionType.FIXED_TERM),
    (Vocabulary.EXCLUSION_TYPE, "PERM", ExclusionType.PERMANENT),
    (Vocabulary.EXCLUSION_TYPE, "LNCH", ExclusionType.LUNCHTIME),
    # Sex / gender codes (CTF and 903 use 1/2 and M/F; FHIR uses words)
    *((Vocabulary.SEX, code, Sex.MALE) for code in ("M", "1", "male")),
    *((Vocabulary.SEX, code, Sex.FEMALE) for code in ("F", "2", "female")),
    *((Vocabulary.SEX, code, Sex.UNKNOWN) for code in ("U", "0", "9", "unknown", "other")),
    # SSDA903 missing table (MISSING)
    (Vocabulary.MISSING_TYPE, "M", EpisodeCategory.MISSING_FROM_CARE),
    (Vocabulary.MISSING_TYPE, "A", EpisodeCategory.AWAY_FROM_PLACEMENT),
    # PNC warning signals
    (Vocabulary.WARNING_MARKER, "VI", WarningMarker.VIOLENCE),
    (Vocabulary.WARNING_MARKER, "WE", WarningMarker.WEAPONS),
    (Vocabulary.WARNING_MARKER, "FI", WarningMarker.WEAPONS),
    (Vocabulary.WARNING_MARKER, "DR", WarningMarker.DRUGS),
    (Vocabulary.WARNING_MARKER, "SH", WarningMarker.SELF_HARM),
    (Vocabulary.WARNING_MARKER, "SU", WarningMarker.SUICIDAL),
    (Vocabulary.WARNING_MARKER, "MH", WarningMarker.MENTAL_HEALTH),
    (Vocabulary.WARNING_MARKER, "ES", WarningMarker.ABSCONDER),
    # Police "found by" labels
    (Vocabulary.FOUND_BY, "Police", FoundBy.POLICE),
    (Vocabulary.FOUND_BY, "Carer", FoundBy.CARER),
    (Vocabulary.FOUND_BY, "Parent", FoundBy.CARER),
    (Vocabulary.FOUND_BY, "Self", FoundBy.SELF),
    (Vocabulary.FOUND_BY, "Returned", FoundBy.SELF),
    (Vocabulary.FOUND_BY, "Agency", FoundBy.AGENCY),
    (Vocabulary.FOUND_BY, "Public", FoundBy.PUBLIC),
)


@dataclass(frozen=True)
class UnmappedCode(Exception):
    vocabulary: str
    code: str


class CodeBook:
    """An agency's code mappings, loaded once per import: agency rows override the national list."""

    def __init__(self, mappings: Mapping[tuple[str, str], str]) -> None:
        self._map = {(vocab, normalise_code(code)): value for (vocab, code), value in mappings.items()}

    @classmethod
    def national(cls) -> CodeBook:
        return cls({(vocab, code): value for vocab, code, value in NATIONAL_CODES})

    def lookup(self, vocabulary: str, code: str) -> str:
        """The Hafan value for `code`, or UnmappedCode: never a guess."""
        try:
            return self._map[(vocabulary, normalise_code(code))]
        except KeyError:
            raise UnmappedCode(vocabulary, code) from None


# Local codes of the demo partnership's own systems (seeded with the demo data and in tests): a health
# board's safeguarding flag codes are its own, so they are mapped per agency, never nationally.
PARTNER_CODES: dict[str, tuple[tuple[str, str, str], ...]] = {
    "ABUHB": (
        (Vocabulary.FLAG_CODE, "CPP", FactCategory.CHILD_PROTECTION),
        (Vocabulary.FLAG_CODE, "LAC", FactCategory.LOOKED_AFTER),
        (Vocabulary.FLAG_CODE, "CSE", FactCategory.EXPLOITATION),
        (Vocabulary.FLAG_CODE, "CCE", FactCategory.EXPLOITATION),
        (Vocabulary.FLAG_CODE, "SH", FactCategory.HEALTH_NEED),
        (Vocabulary.FLAG_CODE, "MH", FactCategory.HEALTH_NEED),
    ),
}
