"""Find the people, countries and topics an article is about.

Names are matched as token sequences in one trie that holds every alias of every
person and country, the news sources and the "mask" phrases that only look like a
country (Korean Peninsula). At each token the longest match wins, so "Papua New
Guinea" beats "Guinea" and "Israel Katz" beats "Israel". People, with those outside
the gazetteer, are found and resolved in search.persons.
"""
from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache

from chancery.search import data, persons, places, topics

TOKEN_RE = re.compile(r"(?:[A-Z]\.){2,}|[^\W_]+(?:['’][^\W_]+)*|,")
# What may stand between two tokens of one name: spaces, hyphens, brackets
# ("[Sergey] Lavrov").
JOINABLE_RE = re.compile(r"^[\s\-‐‑–\[\]()]*$")
POSSESSIVE_RE = re.compile(r"['’]s$")
END = "\0"


@lru_cache(maxsize=200_000)
def fold(text: str) -> str:
    """Strip accents and dots, unify apostrophes: the matching form of a token."""
    if text.isascii():
        return text.replace(".", "")              # the common case, without Unicode decomposition
    text = unicodedata.normalize("NFKD", text.replace("’", "'").replace(".", ""))
    return "".join(ch for ch in text if not unicodedata.combining(ch))


@dataclass(slots=True)
class Token:
    text: str
    key: str          # folded, case kept
    start: int
    end: int
    joined: bool      # may continue the name begun by the previous token
    spaced: bool      # only white space separates it from the previous token
    low: str = ""     # the key lower-cased

    def __post_init__(self):
        if not self.low:
            self.low = self.key.lower()

    @property
    def capitalized(self) -> bool:
        return self.text[:1].isupper()

    @property
    def initial(self) -> bool:
        return len(self.key) == 1 and self.key.isupper()


@lru_cache(maxsize=200_000)
def _keys(word: str) -> tuple[str, str]:
    """Return the matching key of a token's text and that key lower-cased."""
    key = word if word == "," else fold(POSSESSIVE_RE.sub("", word) if "'" in word or "’" in word else word)
    return key, key.lower()


def tokenize(text: str) -> list[Token]:
    """Split text into name-matching tokens, noting what separates each from the last."""
    tokens: list[Token] = []
    append = tokens.append
    previous = None
    last_end = 0
    for match in TOKEN_RE.finditer(text):
        word = match.group()
        start, end = match.span()
        if previous is None:
            joined = spaced = False
        elif start - last_end == 1 and text[last_end] == " ":
            joined = spaced = True                    # the common case, without the regexes
        else:
            gap = text[last_end:start]
            joined = bool(JOINABLE_RE.match(gap)) or (previous.initial and gap.strip() == ".")
            spaced = gap.isspace()
        key, low = _keys(word)
        previous = Token(word, key, start, end, joined, spaced, low)
        append(previous)
        last_end = end
    return tokens


@dataclass(frozen=True)
class Entry:
    kind: str                 # person, country, mask, org, source
    value: str                # canonical name ("" for a mask)
    alias: str
    flag: str = ""            # "~" personal-name clash, "?" needs confirmation
    seat: bool = False        # a capital or seat of government
    explicit: bool = True     # listed as an alias (not a derived surname)


@dataclass
class Match:
    entries: list[Entry]      # every reading of the span that passed the checks
    start: int                # token index
    end: int                  # token index, exclusive

    def values(self, kind: str) -> list[str]:
        """Return the canonical values of one kind, unless the span is masked."""
        found: list[str] = []
        for entry in self.entries:            # a plain loop: called for every match, mostly of one entry
            if entry.kind == "mask":
                return []
            if entry.kind == kind and entry.value not in found:
                found.append(entry.value)
        return found


@dataclass
class Gazetteer:
    trie: dict = field(default_factory=dict)
    surnames: dict = field(default_factory=lambda: defaultdict(set))
    given_names: frozenset = frozenset()
    roles: frozenset = frozenset()
    verbs: frozenset = frozenset()
    org_words: frozenset = frozenset()
    agreement_words: frozenset = frozenset()
    topics: dict = field(default_factory=dict)                        # slug -> label, from search.topics
    aliases: dict = field(default_factory=lambda: defaultdict(set))   # canonical -> spellings

    def add(self, alias: str, entry: Entry) -> None:
        keys = [token.low for token in tokenize(alias)]
        if not keys:
            return
        node = self.trie
        for key in keys:
            node = node.setdefault(key, {})
        node.setdefault(END, []).append(entry)
        if entry.kind in ("person", "country"):
            self.aliases[entry.value].add(alias)


def _variants(name: str, groups: dict[str, list[str]]) -> list[str]:
    first, _, rest = name.partition(" ")
    if not rest or first not in groups:
        return [name]
    return [f"{variant} {rest}" for variant in groups[first]]


def surname(name: str) -> str:
    """Return the matching form of a person's last name (qualifiers, "of Jordan" and "II" aside)."""
    words = tokenize(re.sub(r"\s*\(.*\)$|\s+of\s.*$", "", name))
    while len(words) > 1 and words[-1].key in ("II", "III", "IV", "Jr", "Sr"):
        words.pop()
    return words[-1].key


def _load_people(gaz: Gazetteer) -> None:
    groups: dict[str, list[str]] = {}
    for line in data.lines("name_variants.txt"):
        names = line.split()
        for name in names:
            groups[name] = names
    for row in data.table("persons.tsv"):
        name = row["name"]
        aliases = [name] + data.split_list(row["aliases"])
        for alias in aliases:
            for variant in _variants(alias, groups):
                gaz.add(variant, Entry("person", name, variant))
        # A bare surname only counts where the article also names the person in full
        # (or, shared, the article's year picks one: search.persons).
        last = row.get("surname") or surname(name)
        gaz.surnames[last].add(name)
        gaz.add(last, Entry("surname", name, last, explicit=False))


@lru_cache(maxsize=1)
def gazetteer() -> Gazetteer:
    """Load every entity data file once."""
    cues = data.ini("person_cues.ini")["cues"]
    gaz = Gazetteer(
        given_names=frozenset(fold(w) for w in data.words("given_names.txt")),
        roles=frozenset(cues["roles"].split()),
        verbs=frozenset(cues["verbs"].split()),
        org_words=frozenset(cues["organisation_words"].split()),
        agreement_words=frozenset(w.lower() for w in data.words("agreement_words.txt")),
    )
    _load_people(gaz)
    places.load_countries(gaz)
    for phrase in data.lines("masks.txt"):
        gaz.add(phrase.strip(), Entry("mask", "", phrase.strip()))
    for phrase in data.lines("organisations.txt"):
        gaz.add(phrase.strip(), Entry("org", "", phrase.strip()))
    for row in data.table("sources.tsv"):
        for alias in [row["name"]] + data.split_list(row["aliases"]):
            gaz.add(alias, Entry("source", row["name"], alias))
    gaz.topics = topics.labels()
    return gaz


def canonical_country(value: str) -> str | None:
    """Return the canonical country for a name, alias, demonym or ISO code, if any."""
    return places.canonical_country(value)


def canonical_person(value: str) -> str | None:
    """Return the canonical person for a name or alias, if any."""
    return canonical(value, "person")


def canonical(value: str, kind: str) -> str | None:
    """Return the one canonical value of a kind that a spelling names, if exactly one."""
    tokens = tokenize(value)
    node = gazetteer().trie
    for token in tokens:
        node = node.get(token.low)
        if node is None:
            break
    else:
        names = {entry.value for entry in node.get(END, []) if entry.kind == kind}
        if len(names) == 1:
            return names.pop()
    if kind == "person" and len(tokens) == 1:
        names = gazetteer().surnames.get(tokens[0].key, set())
        if len(names) == 1:
            return next(iter(names))
    return None


def _case_ok(entry: Entry, tokens: list[Token]) -> bool:
    """Check letter case: one-word aliases exactly ("US", not "us"), others capitalised."""
    if entry.kind == "mask":
        return True
    if len(tokens) == 1:
        return tokens[0].key == fold(entry.alias) or (
            tokens[0].key.isupper() and len(tokens[0].key) > 3 and tokens[0].low == fold(entry.alias).lower())
    return tokens[0].capitalized


def _scan(tokens: list[Token], gaz: Gazetteer) -> list[Match]:
    """Find the longest gazetteer match at each token, left to right."""
    matches: list[Match] = []
    i = 0
    while i < len(tokens):
        # Most tokens start no name: one look-up settles them without a search.
        best = _longest(tokens, i, gaz) if tokens[i].low in gaz.trie else None
        if best:
            matches.append(best)
            i = best.end
        else:
            i += 1
    return matches


def _longest(tokens: list[Token], start: int, gaz: Gazetteer) -> Match | None:
    best: Match | None = None
    stack = [(gaz.trie, start, 0)]
    while stack:
        node, j, used = stack.pop()
        if j >= len(tokens) or (used and not tokens[j].joined):
            continue
        token = tokens[j]
        if used and token.initial:
            stack.append((node, j + 1, used))      # a middle initial: John F. Kerry
        child = node.get(token.low)
        if child is None:
            continue
        stack.append((child, j + 1, used + 1))
        entries = [entry for entry in child.get(END, [])
                   if _case_ok(entry, tokens[start:j + 1]) and _neighbours_ok(entry, tokens, start, j + 1, gaz)]
        if entries and (best is None or j + 1 > best.end):
            best = Match(entries, start, j + 1)
    return best


def _neighbours_ok(entry: Entry, tokens: list[Token], start: int, end: int, gaz: Gazetteer) -> bool:
    """Reject a "~" alias that stands beside another name word ("Michael Jordan")."""
    if entry.flag != "~":
        return True
    before = tokens[start - 1] if start > 0 and tokens[start].spaced else None
    after = tokens[end] if end < len(tokens) and tokens[end].spaced else None
    if before is not None and before.key in gaz.given_names:
        return False
    return not (after is not None and after.capitalized and after.low not in gaz.roles)


def _unique(values) -> list[str]:
    seen: dict[str, None] = {}
    for value in values:
        seen.setdefault(value, None)
    return list(seen)


@dataclass(frozen=True)
class Entities:
    persons: list[str]
    countries: list[str]
    topics: list[str]
    evidence: list = field(default_factory=list)


def extract(title: str, body: str, year: int | None = None) -> Entities:
    """Find the persons, countries and topics of an article published in a year, with the evidence."""
    gaz = gazetteer()
    text = f"{title}\n\n{body}"
    tokens = tokenize(text)
    matches = _scan(tokens, gaz)
    people = persons.find(tokens, matches, text, gaz, year)
    # A country word inside a person's name ("Neil Jordan") is no place.
    named = {i for m in people if m.end - m.start > 1 for i in range(m.start, m.end)}
    found = places.find(text, tokens, [m for m in matches if m.start not in named], gaz)
    tagged = topics.tag(title, body)
    evidence = persons.evidence(people, tokens, len(title))
    evidence += [_evidence("country", country, start, end, rule, len(title))
                 for country, start, end, rule in found.evidence]
    evidence += [{"facet": "topic", "value": slug, "field": hit.field, "start": hit.start, "end": hit.end,
                  "rule": f"{hit.cue.strength}:{hit.cue.phrase}", "score": round(hit.weight, 3)}
                 for slug in tagged.topics for hit in tagged.hits[slug]]
    return Entities(persons=_unique(m.value for m in people), countries=found.countries, topics=tagged.topics,
                    evidence=evidence)


def load() -> None:
    """Load the gazetteers and models extraction reads, so that a first query does not wait for them."""
    extract("Kerry meets Lavrov", "Sergey Lavrov met John Kerry in Moscow on Tuesday to discuss Syria.")


def _evidence(facet: str, value: str, start: int, end: int, rule: str, title_length: int) -> dict:
    """Describe a span of the title + blank line + body text by its field and offsets there."""
    if start < title_length:
        field_name, offset = "title", 0
    else:
        field_name, offset = "body", title_length + 2
    return {"facet": facet, "value": value, "field": field_name, "start": start - offset,
            "end": end - offset, "rule": rule, "score": None}


def known_source(name: str) -> str | None:
    """Return the canonical publisher a spelling, domain or byline names, if known."""
    node = gazetteer().trie
    for token in tokenize(name):
        node = node.get(token.low, {})
    return next((entry.value for entry in node.get(END, []) if entry.kind == "source"), None)


def topic_label(slug: str) -> str | None:
    """Return the label of a topic slug, if it is one."""
    return topics.topic_label(slug)
