"""The Welsh catalogue (hafan/locale/cy): complete, well-formed, compiled, and actually used by the pages.

Welsh public bodies must treat Welsh no less favourably than English, so an untranslated or fuzzy entry,
a lost placeholder or a stale .mo is a failure, not a warning. docs/welsh.md explains the catalogue.
"""

from __future__ import annotations

import datetime
import re
from pathlib import Path
from typing import Any

import polib
import pytest
from django import forms
from django.utils import translation
from django.utils.timesince import timesince

from hafan.core.vocabulary import RiskGrade
from hafan.episodes.models import EpisodeCategory

HAFAN_DIR = Path(__file__).resolve().parents[2] / "hafan"
PO_PATH = HAFAN_DIR / "locale" / "cy" / "LC_MESSAGES" / "django.po"
MO_PATH = PO_PATH.with_suffix(".mo")
TEMPLATES_DIR = HAFAN_DIR / "templates"

# CLDR's Welsh categories: zero (0), one (1), two (2), few (3), many (6), other.
PLURAL_FORMS = "nplurals=6; plural=(n==0) ? 0 : (n==1) ? 1 : (n==2) ? 2 : (n==3) ? 3 : (n==6) ? 4 : 5;"
ONE = 1  # the msgstr[] index used for n == 1

# %(name)s, %(n)d, %s, %d ... and str.format-style {name}; "%%" is a literal percent sign.
PLACEHOLDER = re.compile(r"%(?:\(\w+\))?[-#0 +]*\d*(?:\.\d+)?[sdifr]|\{\w*\}")


def _placeholders(text: str) -> set[str]:
    return set(PLACEHOLDER.findall(text.replace("%%", "")))


def _key(entry: polib.POEntry | polib.MOEntry) -> tuple[str, str]:
    return (entry.msgctxt or "", entry.msgid)


def _translation(entry: polib.POEntry | polib.MOEntry) -> str | dict[int, str]:
    if entry.msgid_plural:
        return {int(index): text for index, text in entry.msgstr_plural.items()}
    return entry.msgstr


@pytest.fixture(scope="module")
def po() -> polib.POFile:
    return polib.pofile(str(PO_PATH))


@pytest.fixture(scope="module")
def entries(po: polib.POFile) -> list[polib.POEntry]:
    return [e for e in po if not e.obsolete]


def test_header_declares_welsh_with_six_plural_forms(po: polib.POFile) -> None:
    assert po.metadata["Language"] == "cy"
    assert po.metadata["Language-Team"] == "Hafan"
    assert po.metadata["Plural-Forms"] == PLURAL_FORMS
    assert not po.metadata_is_fuzzy


def test_the_catalogue_is_not_empty(entries: list[polib.POEntry]) -> None:
    assert len(entries) > 400


def test_every_entry_is_translated_and_none_is_fuzzy(entries: list[polib.POEntry]) -> None:
    untranslated = [e.msgid for e in entries if not e.translated() and "fuzzy" not in e.flags]
    fuzzy = [e.msgid for e in entries if "fuzzy" in e.flags]
    assert untranslated == [], f"{len(untranslated)} untranslated, e.g. {untranslated[:5]}"
    assert fuzzy == [], f"{len(fuzzy)} fuzzy, e.g. {fuzzy[:5]}"


def test_plural_entries_fill_all_six_forms(entries: list[polib.POEntry]) -> None:
    plurals = [e for e in entries if e.msgid_plural]
    assert plurals, "the catalogue should have plural entries (e.g. '%(age)s year')"
    for entry in plurals:
        assert sorted(entry.msgstr_plural) == list(range(6)), entry.msgid
        assert all(text.strip() for text in entry.msgstr_plural.values()), entry.msgid


def test_every_translation_keeps_the_placeholders(entries: list[polib.POEntry]) -> None:
    """The same placeholders as the English. One exception: msgstr[1] is used only for n == 1, so it may
    leave out the number ("unwaith" for "1 time"), as GNU msgfmt also allows; it may never add one."""
    wrong = []
    for entry in entries:
        if entry.msgid_plural:
            for index, text in entry.msgstr_plural.items():
                if index == ONE:
                    ok = _placeholders(text) <= _placeholders(entry.msgid)
                else:
                    ok = _placeholders(text) == _placeholders(entry.msgid_plural)
                if not ok:
                    wrong.append((entry.msgid, index, text))
        elif _placeholders(entry.msgstr) != _placeholders(entry.msgid):
            wrong.append((entry.msgid, None, entry.msgstr))
    assert wrong == []


def test_welsh_uses_the_typographic_apostrophe(entries: list[polib.POEntry]) -> None:
    """The glossary writes o'r, i'r with the typographic apostrophe (U+2019): no straight ones in the Welsh."""
    texts = [
        (e.msgid, t)
        for e in entries
        for t in ([e.msgstr] if not e.msgid_plural else e.msgstr_plural.values())
    ]
    assert [(msgid, t) for msgid, t in texts if "'" in t] == []


def test_the_committed_mo_matches_the_po(entries: list[polib.POEntry]) -> None:
    """`make demo` uses the committed .mo (no gettext needed): it must be compiled from this .po."""
    assert MO_PATH.exists(), "run `make messages` (or compilemessages -l cy) and commit django.mo"
    mo = polib.mofile(str(MO_PATH))
    compiled = {_key(e): _translation(e) for e in mo if e.msgid}
    source = {_key(e): _translation(e) for e in entries}
    assert compiled == source
    assert mo.metadata.get("Plural-Forms", "").strip() == PLURAL_FORMS


TEMPLATE_LITERALS = [
    re.compile(r"""\{%\s*(?:translate|trans)\s+(["'])(.+?)\1(?:\s+context\s+(["'])(.+?)\3)?"""),
    re.compile(r"""\b_\((["'])(.+?)\1\)"""),
]


def test_every_template_string_is_in_the_catalogue(entries: list[polib.POEntry]) -> None:
    """A string added to a template without `make messages` would show in English on Welsh pages."""
    known = {_key(e) for e in entries}
    missing = []
    for path in sorted(TEMPLATES_DIR.rglob("*.html")):
        text = path.read_text(encoding="utf-8")
        for pattern in TEMPLATE_LITERALS:
            for match in pattern.finditer(text):
                groups = match.groups()
                msgid = groups[1]
                context = groups[3] if len(groups) > 3 and groups[3] else ""
                # Django looks a literal's "%" up as "%%" (django.template.base.Variable), as makemessages wrote it.
                if (context, msgid) not in known and (context, msgid.replace("%", "%%")) not in known:
                    missing.append(f"{path.relative_to(TEMPLATES_DIR)}: {msgid!r}")
    assert missing == [], "run `make messages` and translate: " + "; ".join(missing)


# The catalogue as Django uses it.


@pytest.fixture
def welsh() -> Any:
    with translation.override("cy"):
        yield


@pytest.mark.django_db
def test_the_sign_in_page_is_welsh_under_cy(client: Any) -> None:
    response = client.get("/cy/accounts/login/")
    assert response.status_code == 200
    page = response.content.decode()
    assert '<html lang="cy"' in page
    assert "Mewngofnodi" in page
    assert "Enw defnyddiwr" in page
    assert "Neidio i’r prif gynnwys" in page
    for english in ("Sign in", "Username", "Password", "Skip to main content"):
        assert english not in page


@pytest.mark.django_db
def test_the_sign_in_page_stays_english_without_the_prefix(client: Any) -> None:
    page = client.get("/accounts/login/").content.decode()
    assert '<html lang="en"' in page
    assert "Sign in to Hafan" in page
    assert "Mewngofnodi" not in page


@pytest.mark.usefixtures("welsh")
def test_domain_labels_use_the_glossary_terms() -> None:
    assert str(RiskGrade.HIGH.label) == "Risg uchel"
    assert str(RiskGrade.MEDIUM.label) == "Risg ganolig"
    assert str(RiskGrade.VERY_LOW.label) == "Risg isel iawn"
    assert "ar goll o ofal" in str(EpisodeCategory.MISSING_FROM_CARE.label).lower()
    assert "ar goll o’r cartref" in str(EpisodeCategory.MISSING_FROM_HOME.label).lower()
    assert translation.gettext("Debrief") == "Cyfweliad Dychwelyd Adref"
    assert translation.gettext("Response plan") == "Cynllun ymateb"
    assert translation.gettext("There is a problem") == "Mae problem wedi codi"


@pytest.mark.usefixtures("welsh")
def test_plurals_use_our_six_form_rule_not_djangos_four() -> None:
    """Django's own cy catalogue has 4 forms with n == 1 at index 0; ours has index 1. Django keeps one plural
    function per catalogue, so our entries must pick our forms."""
    once = translation.ngettext("%(place)s (once)", "%(place)s (%(times)s times)", 1)
    assert once % {"place": "Casnewydd", "times": 1} == "Casnewydd (unwaith)"
    for n in (0, 2, 3, 4, 6, 11):
        many = translation.ngettext("%(place)s (once)", "%(place)s (%(times)s times)", n)
        assert many % {"place": "Casnewydd", "times": n} == f"Casnewydd ({n} o weithiau)"


@pytest.mark.usefixtures("welsh")
def test_djangos_own_messages_on_our_pages_are_welsh() -> None:
    with pytest.raises(forms.ValidationError) as required:
        forms.CharField().clean("")
    assert required.value.messages == ["Mae angen llenwi’r maes hwn."]
    with pytest.raises(forms.ValidationError) as bad_datetime:
        forms.DateTimeField().clean("not a time")
    assert bad_datetime.value.messages == ["Nodwch ddyddiad ac amser dilys."]
    with pytest.raises(forms.ValidationError) as bad_date:
        forms.DateField().clean("not a date")
    assert bad_date.value.messages == ["Nodwch ddyddiad dilys."]
    with pytest.raises(forms.ValidationError) as bad_choice:
        forms.ChoiceField(choices=[("a", "A")]).clean("b")
    assert bad_choice.value.messages[0].startswith("Dewiswch opsiwn dilys.")
    # "Age when reported" (timesince joins the units with non-breaking spaces and a translated ", ").
    age = timesince(datetime.date(2010, 1, 1), datetime.date(2025, 3, 1))
    assert age.replace("\xa0", " ") == "15 o flynyddoedd, 2 mis"
