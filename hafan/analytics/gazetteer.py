"""A small static gazetteer of public places (towns, estates, stations, parks) in and around Gwent, with
approximate WGS84 coordinates, so that the places children were found or said they went can be put on a map.

Data and pure functions only: no people, no database. Coordinates are approximate (a town's or estate's
centre, a station's forecourt), good to a few hundred metres, which is all a map of patterns needs.

`locate(text)` finds the most specific place a free-text description names: a landmark (a station, a park,
a shopping centre) before an estate or area, an area before a town, and among equals the longest name, so
"a friend's house in Bettws, Newport" is Bettws and "Tredegar Park, Newport" is the park, not the town.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from enum import IntEnum
from functools import cache


class Specificity(IntEnum):
    """How precise a place is: the higher, the more specific."""

    REGION = 0  # a city or town far from Gwent (Birmingham), or a whole city
    TOWN = 1
    AREA = 2  # an estate, village or district
    LANDMARK = 3  # a station, park, shopping centre, castle


@dataclass(frozen=True)
class GazetteerEntry:
    id: str  # stable: used in URLs (the drill-down key of a cluster anchored here)
    name_en: str
    name_cy: str
    lat: float
    lon: float
    specificity: Specificity
    council: str = ""  # the Gwent council (agency code) whose area it is in; "" outside Gwent
    aliases: tuple[str, ...] = field(default=())  # other spellings and names (Welsh, without diacritics)

    def name(self, language: str = "en") -> str:
        return self.name_cy if language.startswith("cy") and self.name_cy else self.name_en

    def names(self) -> tuple[str, ...]:
        return (self.name_en, self.name_cy, *self.aliases)


T, A, L, R = Specificity.TOWN, Specificity.AREA, Specificity.LANDMARK, Specificity.REGION


def _e(
    id: str,
    name_en: str,
    lat: float,
    lon: float,
    kind: Specificity,
    council: str = "",
    name_cy: str = "",
    aliases: tuple[str, ...] = (),
) -> GazetteerEntry:
    return GazetteerEntry(id, name_en, name_cy or name_en, lat, lon, kind, council, aliases)


ENTRIES: tuple[GazetteerEntry, ...] = (
    # Blaenau Gwent
    _e("ebbw-vale", "Ebbw Vale", 51.7776, -3.2074, T, "BGCBC", "Glynebwy"),
    _e("tredegar", "Tredegar", 51.7726, -3.2471, T, "BGCBC"),
    _e("abertillery", "Abertillery", 51.7299, -3.1355, T, "BGCBC", "Abertyleri"),
    _e("brynmawr", "Brynmawr", 51.7998, -3.1770, T, "BGCBC", "Bryn-mawr"),
    _e("hilltop", "Hilltop", 51.7620, -3.1960, A, "BGCBC"),
    _e("garnlydan", "Garnlydan", 51.7930, -3.2260, A, "BGCBC"),
    _e("rassau", "Rassau", 51.7960, -3.2070, A, "BGCBC"),
    _e("cwm", "Cwm", 51.7330, -3.1800, A, "BGCBC"),
    _e("willowtown", "Willowtown", 51.7720, -3.2000, A, "BGCBC"),
    _e("georgetown", "Georgetown", 51.7680, -3.2430, A, "BGCBC"),
    _e("sirhowy", "Sirhowy", 51.7820, -3.2470, A, "BGCBC"),
    _e("dukestown", "Dukestown", 51.7830, -3.2600, A, "BGCBC"),
    _e("ashvale", "Ashvale", 51.7750, -3.2400, A, "BGCBC"),
    _e("six-bells", "Six Bells", 51.7150, -3.1350, A, "BGCBC"),
    _e("cwmtillery", "Cwmtillery", 51.7450, -3.1420, A, "BGCBC"),
    _e("aberbeeg", "Aberbeeg", 51.7089, -3.1440, A, "BGCBC", "Aberbîg"),
    _e("nantyglo", "Nantyglo", 51.7900, -3.1700, A, "BGCBC", "Nant-y-glo"),
    _e("clydach-terrace", "Clydach Terrace", 51.8000, -3.1900, A, "BGCBC"),
    # Caerphilly
    _e("caerphilly", "Caerphilly", 51.5749, -3.2181, T, "CCBC", "Caerffili"),
    _e("blackwood", "Blackwood", 51.6683, -3.1953, T, "CCBC", "Coed-duon"),
    _e("bargoed", "Bargoed", 51.6910, -3.2345, T, "CCBC", "Bargod"),
    _e("risca", "Risca", 51.6080, -3.1000, T, "CCBC", "Rhisga"),
    _e("ystrad-mynach", "Ystrad Mynach", 51.6410, -3.2410, T, "CCBC"),
    _e("newbridge", "Newbridge", 51.6670, -3.1440, T, "CCBC", "Trecelyn"),
    _e("rhymney", "Rhymney", 51.7590, -3.2830, T, "CCBC", "Rhymni"),
    _e("lansbury-park", "Lansbury Park", 51.5830, -3.2020, A, "CCBC"),
    _e("trecenydd", "Trecenydd", 51.5800, -3.2330, A, "CCBC"),
    _e("penyrheol", "Penyrheol", 51.5880, -3.2380, A, "CCBC"),
    _e("energlyn", "Energlyn", 51.5850, -3.2290, A, "CCBC"),
    _e("bedwas", "Bedwas", 51.5920, -3.2020, A, "CCBC"),
    _e("cefn-fforest", "Cefn Fforest", 51.6620, -3.1900, A, "CCBC"),
    _e("pengam", "Pengam", 51.6708, -3.2339, A, "CCBC"),
    _e("oakdale", "Oakdale", 51.6830, -3.1830, A, "CCBC"),
    _e("woodfieldside", "Woodfieldside", 51.6620, -3.1770, A, "CCBC"),
    _e("gilfach", "Gilfach", 51.6830, -3.2330, A, "CCBC"),
    _e("aberbargoed", "Aberbargoed", 51.6960, -3.2240, A, "CCBC", "Aberbargod"),
    _e("heolddu", "Heolddu", 51.6930, -3.2430, A, "CCBC"),
    _e("ty-sign", "Ty-Sign", 51.6140, -3.1170, A, "CCBC", aliases=("Tysign",)),
    _e("pontymister", "Pontymister", 51.6050, -3.0870, A, "CCBC"),
    _e("crosskeys", "Crosskeys", 51.6190, -3.1260, A, "CCBC", "Pont-y-cymer", aliases=("Cross Keys",)),
    _e("hengoed", "Hengoed", 51.6470, -3.2280, A, "CCBC"),
    _e("tredomen", "Tredomen", 51.6500, -3.2400, A, "CCBC"),
    _e("penpedairheol", "Penpedairheol", 51.6520, -3.2170, A, "CCBC"),
    _e("pantside", "Pantside", 51.6690, -3.1420, A, "CCBC"),
    _e("greenfield", "Greenfield", 51.6640, -3.1460, A, "CCBC"),
    _e("abercarn", "Abercarn", 51.6470, -3.1350, A, "CCBC"),
    _e("abertysswg", "Abertysswg", 51.7470, -3.2700, A, "CCBC"),
    _e("pontlottyn", "Pontlottyn", 51.7460, -3.2790, A, "CCBC"),
    _e("caerphilly-castle", "Caerphilly Castle", 51.5760, -3.2200, L, "CCBC", "Castell Caerffili"),
    # Monmouthshire
    _e("abergavenny", "Abergavenny", 51.8240, -3.0167, T, "MCC", "Y Fenni"),
    _e("monmouth", "Monmouth", 51.8116, -2.7163, T, "MCC", "Trefynwy"),
    _e("chepstow", "Chepstow", 51.6418, -2.6750, T, "MCC", "Cas-gwent"),
    _e("caldicot", "Caldicot", 51.5910, -2.7500, T, "MCC", "Cil-y-coed"),
    _e("usk", "Usk", 51.7030, -2.9030, T, "MCC", "Brynbuga"),
    _e("mardy", "Mardy", 51.8370, -3.0120, A, "MCC", "Maerdy"),
    _e("croesonen", "Croesonen", 51.8330, -3.0080, A, "MCC"),
    _e("llanfoist", "Llanfoist", 51.8150, -3.0320, A, "MCC", "Llan-ffwyst"),
    _e("underhill", "Underhill", 51.8200, -3.0350, A, "MCC"),
    _e("wyesham", "Wyesham", 51.8100, -2.7010, A, "MCC"),
    _e("overmonnow", "Overmonnow", 51.8080, -2.7230, A, "MCC"),
    _e("osbaston", "Osbaston", 51.8220, -2.7150, A, "MCC"),
    _e("bulwark", "Bulwark", 51.6330, -2.6690, A, "MCC"),
    _e("thornwell", "Thornwell", 51.6290, -2.6760, A, "MCC"),
    _e("garden-city", "Garden City", 51.6460, -2.6690, A, "MCC"),
    _e("portskewett", "Portskewett", 51.5920, -2.7160, A, "MCC", "Porthysgewin"),
    _e("rogiet", "Rogiet", 51.5860, -2.7800, A, "MCC"),
    _e("magor", "Magor", 51.5790, -2.8310, A, "MCC", "Magwyr"),
    _e("llanbadoc", "Llanbadoc", 51.6990, -2.9100, A, "MCC"),
    # Newport
    _e("newport", "Newport", 51.5842, -2.9977, T, "NCC", "Casnewydd"),
    _e(
        "newport-city-centre",
        "Newport city centre",
        51.5880,
        -2.9960,
        L,
        "NCC",
        "Canol dinas Casnewydd",
        aliases=("Newport town centre", "Newport centre"),
    ),
    _e("friars-walk", "Friars Walk, Newport", 51.5868, -2.9935, L, "NCC", aliases=("Friars Walk",)),
    _e(
        "newport-bus-station",
        "Newport bus station",
        51.5895,
        -2.9960,
        L,
        "NCC",
        "Gorsaf fysiau Casnewydd",
    ),
    _e(
        "newport-railway-station",
        "Newport railway station",
        51.5888,
        -3.0017,
        L,
        "NCC",
        "Gorsaf drenau Casnewydd",
        aliases=("Newport train station", "Newport station"),
    ),
    _e(
        "tredegar-park",
        "Tredegar Park, Newport",
        51.5640,
        -3.0300,
        L,
        "NCC",
        "Parc Tredegar, Casnewydd",
        aliases=("Tredegar Park", "Parc Tredegar"),
    ),
    _e("pillgwenlly", "Pillgwenlly", 51.5750, -2.9900, A, "NCC"),
    _e("maindee", "Maindee", 51.5880, -2.9800, A, "NCC", "Maindy"),
    _e("bettws", "Bettws", 51.6080, -3.0170, A, "NCC", "Betws"),
    _e("ringland", "Ringland", 51.5920, -2.9440, A, "NCC"),
    _e("alway", "Alway", 51.5880, -2.9530, A, "NCC"),
    _e("duffryn", "Duffryn", 51.5580, -3.0300, A, "NCC", "Dyffryn"),
    _e("gaer", "Gaer", 51.5720, -3.0150, A, "NCC", "Y Gaer"),
    _e("malpas", "Malpas", 51.6070, -3.0010, A, "NCC"),
    _e("st-julians", "St Julians", 51.6000, -2.9750, A, "NCC", aliases=("St. Julians", "Saint Julians")),
    _e("lliswerry", "Lliswerry", 51.5800, -2.9650, A, "NCC", "Llyswyry"),
    _e("caerleon", "Caerleon", 51.6100, -2.9590, A, "NCC", "Caerllion"),
    _e("rogerstone", "Rogerstone", 51.5950, -3.0540, A, "NCC", "Tŷ-du"),
    _e("shaftesbury", "Shaftesbury", 51.5990, -2.9990, A, "NCC"),
    _e("stow-hill", "Stow Hill", 51.5840, -3.0020, A, "NCC"),
    # Torfaen
    _e("cwmbran", "Cwmbrân", 51.6530, -3.0210, T, "TCBC", aliases=("Cwmbran",)),
    _e("pontypool", "Pontypool", 51.7010, -3.0440, T, "TCBC", "Pont-y-pŵl"),
    _e("blaenavon", "Blaenavon", 51.7740, -3.0860, T, "TCBC", "Blaenafon"),
    _e("thornhill", "Thornhill", 51.6470, -3.0400, A, "TCBC"),
    _e("st-dials", "St Dials", 51.6440, -3.0320, A, "TCBC", aliases=("St. Dials",)),
    _e("fairwater", "Fairwater", 51.6400, -3.0470, A, "TCBC"),
    _e("greenmeadow", "Greenmeadow", 51.6480, -3.0500, A, "TCBC"),
    _e("llanyravon", "Llanyravon", 51.6490, -2.9990, A, "TCBC", "Llanyrafon"),
    _e("croesyceiliog", "Croesyceiliog", 51.6600, -3.0030, A, "TCBC"),
    _e("trevethin", "Trevethin", 51.7150, -3.0490, A, "TCBC", "Trefddyn"),
    _e("penygarn", "Penygarn", 51.7080, -3.0400, A, "TCBC"),
    _e("griffithstown", "Griffithstown", 51.6860, -3.0300, A, "TCBC"),
    _e("abersychan", "Abersychan", 51.7240, -3.0590, A, "TCBC"),
    _e("new-inn", "New Inn", 51.6980, -3.0260, A, "TCBC"),
    _e("forgeside", "Forgeside", 51.7730, -3.0980, A, "TCBC"),
    _e("garn-yr-erw", "Garn-yr-erw", 51.7820, -3.0990, A, "TCBC"),
    _e(
        "cwmbran-stadium",
        "Cwmbrân Stadium",
        51.6440,
        -3.0160,
        L,
        "TCBC",
        "Stadiwm Cwmbrân",
        aliases=("Cwmbran Stadium",),
    ),
    _e("pontypool-park", "Pontypool Park", 51.7030, -3.0460, L, "TCBC", "Parc Pont-y-pŵl"),
    # Further afield
    _e("cardiff", "Cardiff", 51.4816, -3.1791, R, "", "Caerdydd"),
    _e(
        "cardiff-city-centre",
        "Cardiff city centre",
        51.4818,
        -3.1755,
        L,
        "",
        "Canol dinas Caerdydd",
        aliases=("Queen Street, Cardiff", "Cardiff Queen Street"),
    ),
    _e(
        "cardiff-central",
        "Cardiff Central station",
        51.4759,
        -3.1790,
        L,
        "",
        "Gorsaf Caerdydd Canolog",
        aliases=("Cardiff Central", "Caerdydd Canolog"),
    ),
    _e("cardiff-bay", "Cardiff Bay", 51.4640, -3.1650, A, "", "Bae Caerdydd"),
    _e("splott", "Splott", 51.4810, -3.1500, A, "", "Sblot"),
    _e("barry", "Barry", 51.4050, -3.2690, R, "", "Y Barri"),
    _e("barry-island", "Barry Island", 51.3920, -3.2700, L, "", "Ynys y Barri"),
    _e("swansea", "Swansea", 51.6214, -3.9436, R, "", "Abertawe"),
    _e(
        "swansea-bus-station",
        "Swansea bus station",
        51.6186,
        -3.9440,
        L,
        "",
        "Gorsaf fysiau Abertawe",
    ),
    _e("bristol", "Bristol", 51.4545, -2.5879, R, "", "Bryste"),
    _e(
        "bristol-temple-meads",
        "Bristol Temple Meads station",
        51.4491,
        -2.5813,
        L,
        "",
        "Gorsaf Temple Meads Bryste",
        aliases=("Bristol Temple Meads", "Temple Meads"),
    ),
    _e("birmingham", "Birmingham", 52.4862, -1.8904, R, "", "Birmingham"),
)

GWENT_COUNCILS = ("BGCBC", "CCBC", "MCC", "NCC", "TCBC")
BY_ID: dict[str, GazetteerEntry] = {entry.id: entry for entry in ENTRIES}


def normalise(text: str) -> str:
    """Lower case, no diacritics (Cwmbrân = Cwmbran), punctuation as spaces, single spaces: the form both
    the gazetteer's names and a description are compared in."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    plain = plain.replace("'", "").replace("\u2019", "")  # friend's -> friends, not "friend s"
    return " ".join(re.sub(r"[^a-z0-9]+", " ", plain).split())


@cache
def _index() -> tuple[tuple[str, GazetteerEntry], ...]:
    """Every (normalised name, entry), most specific first: by specificity, then by the name's length."""
    pairs = {(normalise(name), entry) for entry in ENTRIES for name in entry.names() if normalise(name)}
    return tuple(sorted(pairs, key=lambda p: (-p[1].specificity, -len(p[0]), p[1].id, p[0])))


def locate(text: str) -> GazetteerEntry | None:
    """The most specific gazetteer place the text names (whole words only), or None."""
    padded = f" {normalise(text)} "
    if not padded.strip():
        return None
    for name, entry in _index():
        if f" {name} " in padded:
            return entry
    return None


def area_bounds() -> tuple[tuple[float, float], tuple[float, float]]:
    """South-west and north-east corners of the Gwent places, for the outline drawn on a map with no tiles."""
    gwent = [e for e in ENTRIES if e.council in GWENT_COUNCILS]
    return (
        (min(e.lat for e in gwent), min(e.lon for e in gwent)),
        (max(e.lat for e in gwent), max(e.lon for e in gwent)),
    )
