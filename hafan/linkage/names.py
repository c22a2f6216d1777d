"""Name normalisation and a table of given-name forms (nicknames, Welsh and English forms). Pure Python.

`canonical_given_name("Dai") == "david"`: every name in a group maps to the group's first entry.
A name belongs to at most one group (checked at import), so the mapping is a function: where a
nickname is shared (Chris, Sam, Alex, Charlie, Georgie), it goes to the more common full name for
children, and the other full name keeps its own group. Names not in the table are their own
canonical form. Spelling variants that Jaro-Winkler already catches (Carys/Cerys) are listed
anyway where they are common, so the model reports them as "the same name in another form".

Deliberately NOT grouped: names that are distinct given names today even if one derives from the
other (Jack/John, Megan/Margaret, Liam/William, Rhian/Rhiannon, Bethan and Bethany/Elizabeth,
Carys/Cerys, Iwan and Ianto/Ieuan, Millie, Siân and Jane): siblings can bear both. A false "same name" is worse than a miss: it is the evidence that separates twins.
"""

from __future__ import annotations

import functools
import re
import unicodedata

# First entry of each group is the canonical form.
NAME_GROUPS: tuple[tuple[str, ...], ...] = (
    # Welsh and English forms
    ("david", "dafydd", "dai", "dave", "davey", "davy", "dewi", "davide"),
    ("rhys", "reece", "rees", "reese", "rhis"),
    ("sian", "shan", "sianne"),
    ("janet", "sioned", "jan"),
    (
        "elizabeth",
        "lizzie",
        "lizzy",
        "liz",
        "beth",
        "betty",
        "eliza",
        "libby",
        "bessie",
        "elisabeth",
    ),
    ("thomas", "tom", "tommy", "twm", "tomos", "thom"),
    ("william", "gwilym", "will", "bill", "billy", "willy", "wil", "gwil"),
    ("evan", "ieuan", "ioan", "ifan", "ev"),
    ("john", "sion", "johnny", "jonnie", "shon"),
    ("mary", "mair", "mari", "mali", "molly", "polly", "maria"),
    ("margaret", "marged", "mared", "maggie", "mags", "peggy"),
    (
        "catherine",
        "catrin",
        "cadi",
        "katherine",
        "kathryn",
        "catherin",
        "kate",
        "katie",
        "katy",
        "cathy",
        "kath",
        "kat",
        "cat",
        "cati",
    ),
    ("helen", "elin", "elen", "helena"),
    ("eleanor", "ellie", "elinor", "elenor", "nell", "nellie"),
    ("owen", "owain", "owein"),
    ("hugh", "huw", "hughie"),
    ("ivor", "ifor"),
    ("llywelyn", "llewellyn", "llewelyn", "llew", "lew"),
    ("griffith", "gruffudd", "gruffydd", "griff", "gruff", "guto"),
    ("richard", "rhisiart", "rich", "richie", "rick", "ricky", "dick"),
    ("george", "sior", "georgie", "geordie"),
    ("james", "jim", "jimmy", "jamie", "iago", "siams"),
    ("stephen", "steven", "steve", "stevie", "steffan", "stefan", "steffen", "stef"),
    ("peter", "pete", "pedr"),
    ("michael", "mihangel", "mike", "mikey", "mick", "micky"),
    ("edward", "ed", "eddie", "eddy", "ted", "teddy", "iorwerth", "ned"),
    ("henry", "harri", "harry", "hal", "hari"),
    ("daniel", "deiniol", "dan", "danny", "dani"),
    ("matthew", "mathew", "matt", "matty", "mathau"),
    ("laura", "lowri", "lora"),
    ("alice", "alys", "allie", "alis"),
    ("ann", "anne", "annie", "nansi", "nan", "anna", "nancy"),
    ("cerys", "ceris"),
    ("carys", "caz"),
    ("ellis", "elis"),
    ("alan", "alun", "allan", "allen", "al"),
    ("mabel", "mabli"),
    ("rhodri", "roderick", "rod", "roddy"),
    ("emrys", "ambrose"),
    ("lewis", "lewys"),
    # Common English nicknames
    ("robert", "rob", "robbie", "bob", "bobby", "robby"),
    ("christopher", "chris", "kit", "christoffer"),
    ("christine", "christina", "chrissie", "tina", "kristina"),
    ("andrew", "andy", "drew", "andreas"),
    ("anthony", "tony", "ant", "antony"),
    ("alexander", "alex", "alec", "sandy", "xander", "alexandre"),
    ("alexandra", "alexa", "lexi", "lexie", "sasha"),
    ("joseph", "joe", "joey"),
    ("josephine", "josie", "jojo"),
    ("benjamin", "ben", "benji", "benny"),
    ("samuel", "sam", "sammy", "sami"),
    ("samantha", "sammie", "sammi"),
    ("nicholas", "nick", "nicky", "nico", "nic"),
    ("nicola", "nikki", "nichola"),
    ("jonathan", "jon", "jonny", "jonty"),
    ("charles", "charlie", "chas", "chaz", "chuck", "charley"),
    ("charlotte", "lottie", "lotti", "carlotta"),
    ("frederick", "fred", "freddie", "freddy", "frederic"),
    ("patrick", "pat", "paddy", "padraig"),
    ("philip", "phillip", "phil", "pip"),
    ("timothy", "tim", "timmy"),
    ("nathan", "nathaniel", "nate"),
    ("zachary", "zac", "zack", "zak", "zach"),
    ("oliver", "ollie", "olly", "oli"),
    ("olivia", "liv", "livvy", "livia"),
    ("isabel", "isabella", "isabelle", "isobel", "izzy", "izzie", "bella"),
    ("victoria", "vicky", "vicki", "tori", "vikki"),
    ("rebecca", "becky", "becca", "bex", "rebekah"),
    ("jessica", "jess", "jessie", "jessy"),
    ("abigail", "abi", "abbie", "abby", "abbey"),
    ("madeleine", "madeline", "maddie", "maddy", "madelyn"),
    ("susan", "sue", "susie", "suzy", "susanna", "suzanne"),
    ("deborah", "debbie", "deb", "debra"),
    ("jacqueline", "jackie", "jacqui"),
    ("jennifer", "jenny", "jen"),
    ("emily", "em", "emmy", "emilie", "emmie"),
    ("hannah", "hanna", "hana", "han"),
    ("sophie", "sophia", "soph", "sofia", "soffi"),
    ("lucy", "lucie", "luci"),
    ("grace", "gracie"),
    ("amy", "aimee", "aimie", "amie"),
    ("megan", "meghan", "megane", "meg", "megs"),
    ("kayleigh", "kayley", "kaylee", "kailey"),
    ("caitlin", "caitlyn", "katelyn", "kaitlyn", "kaitlin"),
    ("zoe", "zoey"),
    ("leah", "lea", "lia"),
    ("kieran", "kieron", "ciaran", "ciaron", "kie"),
    ("connor", "conor", "conner"),
    ("callum", "calum", "cal"),
    ("jayden", "jaden", "jaiden", "jaydon"),
    ("aidan", "aiden", "aden", "aydan"),
    ("bradley", "brad"),
    ("gareth", "gaz", "gazza", "gar"),
    ("geraint", "ger"),
    ("joshua", "josh"),
    ("jacob", "jake", "jakob"),
    ("jack", "jac"),
    ("eva", "efa"),
    ("tristan", "trystan"),
    ("rhiannon", "rhi"),
    ("gwenllian", "gwen"),
    ("angharad", "ang"),
    ("lily", "lilly", "lili", "lillie"),
    ("zofia", "zosia"),
    ("ibrahim", "ibby"),
    ("muhammad", "mohammed", "mohammad", "mohamed", "muhammed", "mo"),
    ("gabriella", "gabby", "gabi", "gabrielle"),
    ("louise", "louisa", "lou", "lulu"),
)

_CANONICAL: dict[str, str] = {}
for _group in NAME_GROUPS:
    for _name in _group:
        _existing = _CANONICAL.get(_name)
        if _existing is not None and _existing != _group[0]:
            raise ValueError(f"name {_name!r} is in two groups: {_existing!r} and {_group[0]!r}")
        _CANONICAL[_name] = _group[0]

# Welsh patronymic particles: kept in the family name, left out of the surname parts.
_SURNAME_PARTICLES = frozenset({"ap", "ab", "ferch", "verch", "vch"})
_DROP_APOSTROPHES = str.maketrans("", "", "'’‘`´ʼ")
_NON_WORD = re.compile(r"[^a-z0-9]+")


def strip_accents(value: str) -> str:
    """'Siân' -> 'Sian', 'Zoë' -> 'Zoe'. NFKD then drop combining marks."""
    if value.isascii():
        return value
    decomposed = unicodedata.normalize("NFKD", value)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


@functools.lru_cache(maxsize=200_000)
def normalise_name(value: str | None) -> str:
    """Casefold, strip accents, drop apostrophes (O'Brien -> obrien), hyphens and other
    punctuation become single spaces. '' for nothing usable."""
    if not value:
        return ""
    text = strip_accents(value).casefold().translate(_DROP_APOSTROPHES)
    return _NON_WORD.sub(" ", text).strip()


def name_tokens(value: str | None) -> list[str]:
    return normalise_name(value).split()


def canonical_token(token: str) -> str:
    """Canonical form of one already-normalised word."""
    return _CANONICAL.get(token, token)


def canonical_given_name(value: str | None) -> str:
    """The canonical form of a (single) given name; accepts raw or normalised input. For a
    multi-word given name the first word is used ('Mary Jane' -> 'mary')."""
    tokens = name_tokens(value)
    return _CANONICAL.get(tokens[0], tokens[0]) if tokens else ""


@functools.lru_cache(maxsize=100_000)
def _surname_parts(value: str) -> tuple[str, ...]:
    parts: list[str] = []
    for token in name_tokens(value):
        if token in _SURNAME_PARTICLES or token in parts:
            continue
        parts.append(token)
    return tuple(parts)


def surname_parts(value: str | None) -> list[str]:
    """'Jones-Price' -> ['jones', 'price']; 'ap Rhys' -> ['rhys']; order kept, no duplicates."""
    return list(_surname_parts(value or ""))


def other_name_forms(other_names: str | None, given_name: str | None = None) -> list[str]:
    """Every form under which a person's other names (comma- or semicolon-separated) and the
    later words of their given name (middle names) might appear: each normalised name, each of
    its words, and their canonical forms. Sorted, unique."""
    forms: set[str] = set()
    if other_names:
        for chunk in re.split(r"[,;/]", other_names):
            normalised = normalise_name(chunk)
            if not normalised:
                continue
            forms.add(normalised)
            for token in normalised.split():
                forms.add(token)
                forms.add(_CANONICAL.get(token, token))
    for token in name_tokens(given_name)[1:]:
        forms.add(token)
        forms.add(_CANONICAL.get(token, token))
    forms.discard("")
    return sorted(forms)
