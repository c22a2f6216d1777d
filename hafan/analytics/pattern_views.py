"""Patterns across children (issue 7, item 6): the landing page and the places pages. Hub casework staff
only; everyone else gets 404 (the selectors decide).

The places page works without JavaScript as tables; the map (Leaflet, vendored) is an enhancement drawn by
hafan/static/hafan/places-map.js from JSON in the page (json_script: nothing inline runs). Tiles are loaded
only when HAFAN_MAP_TILE_URL is set, and then only from its host, which this page's CSP allows for images.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

from django import forms
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.functional import Promise
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from hafan.agencies.selectors import partner_councils
from hafan.analytics.gazetteer import BY_ID, area_bounds
from hafan.analytics.place_selectors import MentionSource, place_detail_for, place_patterns_for
from hafan.analytics.places import MentionKind, Period, PlaceGroup, sort_groups
from hafan.core.errors import NotFoundOrNoAccess
from hafan.core.forms import DateInput, GovukFormMixin
from hafan.sharing import policy
from hafan.sharing.access import actor_for

# --- The landing page


@dataclass(frozen=True)
class PatternPage:
    url_name: str
    title: Promise
    description: Promise
    allowed: Callable[[Any], bool] = policy.can_view_patterns


# The pattern pages, in the order the landing page lists them. A page whose URL does not exist (yet) is left
# out, so a page is added here once and appears when its URL does.
PATTERN_PAGES: list[PatternPage] = [
    PatternPage(
        "patterns:places",
        gettext_lazy("Places"),
        gettext_lazy(
            "Where children were found or said they went, and places agencies record them going: clustered, "
            "counted over time, on a map and in a table."
        ),
    ),
    PatternPage(
        "patterns:co_missing",
        gettext_lazy("Children missing together"),
        gettext_lazy(
            "Children reported missing at overlapping times, found together or naming the same associate, "
            "and the groups that recur."
        ),
    ),
    PatternPage(
        "patterns:persons",
        gettext_lazy("Persons of concern"),
        gettext_lazy(
            "Adults named across several debriefs or reports, each mention traceable to its source."
        ),
        policy.can_view_persons_of_concern,
    ),
]


@require_http_methods(["GET"])
def patterns_index(request: HttpRequest) -> HttpResponse:
    actor = actor_for(request.user)
    if not policy.can_view_patterns(actor):
        raise NotFoundOrNoAccess
    pages = []
    for page in PATTERN_PAGES:
        if not page.allowed(actor):
            continue
        try:
            url = reverse(page.url_name)
        except NoReverseMatch:
            continue
        pages.append({"url": url, "title": page.title, "description": page.description})
    return render(request, "analytics/patterns/index.html", {"pages": pages})


# --- Places: the filters


def default_period(today: datetime.date) -> tuple[datetime.date, datetime.date]:
    """The last twelve calendar months, this one included."""
    month = today.month - 11
    year = today.year
    if month < 1:
        month += 12
        year -= 1
    return datetime.date(year, month, 1), today


MAX_PERIOD_DAYS = 5 * 366


class PlaceFilterForm(GovukFormMixin, forms.Form):
    since = forms.DateField(label=gettext_lazy("From"), required=False, widget=DateInput())
    until = forms.DateField(label=gettext_lazy("To"), required=False, widget=DateInput())
    council = forms.ChoiceField(
        label=gettext_lazy("Council"),
        required=False,
        help_text=gettext_lazy("The child's responsible council."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        council_field = self.fields["council"]
        assert isinstance(council_field, forms.ChoiceField)
        council_field.choices = [("", _("All councils"))] + [(c.code, c.name) for c in partner_councils()]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        default_since, default_until = default_period(timezone.localdate())
        since = data.get("since") or default_since
        until = data.get("until") or default_until
        if "since" in self.errors or "until" in self.errors:
            return data
        if since > until:
            self.add_error("until", _("The end of the period must be on or after its start."))
        elif (until - since).days > MAX_PERIOD_DAYS:
            self.add_error("since", _("Choose a period of five years or less."))
        data["since"], data["until"] = since, until
        return data


def _filters(request: HttpRequest) -> tuple[PlaceFilterForm, dict[str, Any] | None]:
    form = PlaceFilterForm(request.GET or None)
    if not request.GET:
        since, until = default_period(timezone.localdate())
        return PlaceFilterForm(initial={"since": since, "until": until}), {
            "since": since,
            "until": until,
            "council": "",
        }
    if not form.is_valid():
        return form, None
    return form, form.cleaned_data


def _filter_query(filters: dict[str, Any]) -> str:
    query = {"since": filters["since"].isoformat(), "until": filters["until"].isoformat()}
    if filters.get("council"):
        query["council"] = filters["council"]
    return urlencode(query)


def _period_label(period: Period, quarterly: bool) -> str:
    if quarterly:
        return _("Q%(quarter)s %(year)s") % {
            "quarter": (period.start.month - 1) // 3 + 1,
            "year": period.start.year,
        }
    return date_format(period.start, "M Y")


def _kind_labels() -> dict[str, str]:
    return {
        MentionKind.FOUND.value: _("Found here"),
        MentionKind.SAID.value: _("Said they went"),
        MentionKind.AGENCY.value: _("Agency record"),
    }


def tile_origin(url: str) -> str:
    """The scheme and host a tile URL template loads from, for the CSP: {s} (Leaflet's subdomains) becomes a
    wildcard. "" when the URL is not an absolute http(s) URL."""
    parts = urlsplit(url.replace("{s}", "*"))
    if parts.scheme not in {"https", "http"} or not parts.netloc or "{" in parts.netloc:
        return ""
    return f"{parts.scheme}://{parts.netloc}"


SORT_KEYS = ("count", "children", "label", "latest")
REFERENCE_TOWNS = (
    "newport",
    "cwmbran",
    "pontypool",
    "caerphilly",
    "blackwood",
    "ebbw-vale",
    "abergavenny",
    "monmouth",
    "chepstow",
)


# --- Places: the map and tables


@require_http_methods(["GET"])
def places(request: HttpRequest) -> HttpResponse:
    if not policy.can_view_patterns(actor_for(request.user)):
        raise NotFoundOrNoAccess
    form, filters = _filters(request)
    sort = request.GET.get("sort", "count")
    if sort not in SORT_KEYS:
        sort = "count"
    context: dict[str, Any] = {"form": form, "sort": sort, "kinds": _kind_labels()}
    tile_url = settings.HAFAN_MAP_TILE_URL.strip()
    origin = tile_origin(tile_url) if tile_url else ""
    # A path on this server (tiles served by the partnership itself) needs nothing more than 'self'.
    same_site = tile_url.startswith("/") and not tile_url.startswith("//")
    tiles = bool(origin) or same_site
    if filters is not None:
        result = place_patterns_for(
            request.user, since=filters["since"], until=filters["until"], council=filters["council"] or None
        )
        query = _filter_query(filters)
        quarterly = len(result.periods) > 1 and result.periods[0].label.find("Q") >= 0
        clusters = sort_groups(result.clusters, sort)
        kinds = _kind_labels()

        def detail_url(group: PlaceGroup) -> str:
            return f"{reverse('patterns:place', args=[group.key])}?{query}"

        context.update(
            filters=filters,
            clusters=[(g, detail_url(g)) for g in clusters],
            unlocated=[(g, detail_url(g)) for g in sort_groups(result.unlocated, sort)],
            period_labels=[_period_label(p, quarterly) for p in result.periods],
            quarterly=quarterly,
            map_data={
                "clusters": [
                    {
                        "key": g.key,
                        "label": g.label,
                        "lat": g.lat,
                        "lon": g.lon,
                        "count": g.count,
                        "lines": [
                            _("%(count)s mentions, %(children)s children")
                            % {"count": g.count, "children": g.children},
                            *[f"{kinds[k]}: {n}" for k, n in g.by_kind.items() if n],
                        ],
                        "url": detail_url(g),
                    }
                    for g in result.clusters
                ],
                "bounds": area_bounds(),
                # With no tiles, a few towns are named on the blank map so the markers can be placed by eye.
                "towns": []
                if tiles
                else [
                    {"label": BY_ID[t].name(get_language() or "en"), "lat": BY_ID[t].lat, "lon": BY_ID[t].lon}
                    for t in REFERENCE_TOWNS
                ],
                "tiles": {"url": tile_url, "attribution": settings.HAFAN_MAP_TILE_ATTRIBUTION}
                if tiles
                else None,
                "text": {
                    "open": _("Show the mentions"),
                    "map": _("Map of the places in the table below"),
                },
            },
        )
    response = render(request, "analytics/patterns/places.html", context)
    if origin:
        # Only this page loads tiles, so only this page's policy allows their host.
        base: dict[str, Any] = settings.SECURE_CSP
        config: dict[str, list[Any]] = {directive: list(values) for directive, values in base.items()}
        config["img-src"] = [*config.get("img-src", []), origin]
        response._csp_config = config  # type: ignore[attr-defined]
    return response


@dataclass(frozen=True)
class MentionRow:
    child: Any
    on: datetime.date
    kind: str
    text: str
    agency: str
    source: str
    episode: Any


def _mention_rows(group: PlaceGroup) -> list[MentionRow]:
    kinds = _kind_labels()
    rows = []
    for m in group.mentions:
        source: MentionSource = m.source
        if source.fact is not None:
            fact = source.fact
            rows.append(
                MentionRow(m.child, m.on, kinds[m.kind.value], m.text, fact.agency.name, fact.source, None)
            )
        elif source.episode is not None:
            episode = source.episode
            where = episode.found_council.name if episode.found_council else ""
            found_by = episode.get_found_by_display() if episode.found_by else ""
            detail = ", ".join(p for p in [str(found_by), where] if p)
            rows.append(MentionRow(m.child, m.on, kinds[m.kind.value], m.text, "", detail, episode))
    return rows


@require_http_methods(["GET"])
def place_detail(request: HttpRequest, key: str) -> HttpResponse:
    if not policy.can_view_patterns(actor_for(request.user)):
        raise NotFoundOrNoAccess
    _form, filters = _filters(request)
    if filters is None:
        since, until = default_period(timezone.localdate())
        filters = {"since": since, "until": until, "council": ""}
    detail = place_detail_for(
        request.user,
        key=key,
        since=filters["since"],
        until=filters["until"],
        council=filters["council"] or None,
    )
    quarterly = len(detail.periods) > 1 and detail.periods[0].label.find("Q") >= 0
    return render(
        request,
        "analytics/patterns/place.html",
        {
            "group": detail.group,
            "member_names": [m.name(get_language() or "en") for m in detail.group.members],
            "rows": _mention_rows(detail.group),
            "filters": filters,
            "back_url": f"{reverse('patterns:places')}?{_filter_query(filters)}",
            "kinds": _kind_labels(),
            "periods": list(
                zip(
                    [_period_label(p, quarterly) for p in detail.periods],
                    detail.group.counts_by_period,
                    strict=True,
                )
            ),
        },
    )
