"""Find the people an article names, with one name per person and the evidence for it.

Four sources of mentions, strongest first: the gazetteer (canonical names and aliases
of known people), a byline (a name alone on the first line above a dateline), role
cues ("Finance Minister X", "X, the central bank governor", "X said" after a known
given name: search.person_rules) and the trained tagger (search.person_tagger).
Honorifics and titles are cut off a mention; organisations, places and buildings are
dropped. A later mention ("Mr. Halvorsen", "Halvorsen said") is resolved to the fullest
name of the article with that surname, else to the gazetteer person of the article's
year (the Stoltenberg of 1987 is Thorvald, of 2015 Jens), else kept as it stands when
the evidence for it is strong enough.
"""
from __future__ import annotations

import re
from functools import lru_cache

from chancery.search import data, person_tagger
from chancery.search.person_rules import (
    POSSESSIVE_RE, Mention, byline, common_opener, continues, firm_heads, initials_before, name_cues, name_end,
    not_a_person, not_name, org_follows, role_mentions, surnamed_places)

# A lone surname from the tagger alone needs this margin (or a role word before it).
MIN_SINGLE_SCORE = 16.0
MIN_SAID_SCORE = 4.0
# How much readier than the trained model to call a capitalised word a name (tuned on the dev set).
TAGGER_BIAS = 7.0
ARTICLES = frozenset("le la les los las el il die der das de".split())
ISO_DATE_RE = re.compile(r"\b((?:19|20)\d\d)-[01]\d-[0-3]\d\b")
YEARS_RE = re.compile(r"^(\d{4})?-(\d{4})?$")
OPEN_YEARS = (0, 9999)


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
    surnamed = surnamed_places(tokens, matches, text, gaz)
    taken = {i for m in matches if any(e.kind not in ("surname", "person") for e in m.entries)
             for i in range(m.start, m.end)} - surnamed
    taken |= {i for m in mentions for i in range(m.start, m.end)}
    # An organisation's name runs on over the capitalised words after it ("Drexel Burnham Lambert").
    for m in matches:
        if any(e.kind == "org" for e in m.entries):
            i = m.end
            while i < len(tokens) and tokens[i].joined and tokens[i].text[:1].isupper():
                taken.add(i)
                i += 1
    # The tagger need not score words a gazetteer match or a rule has already placed, nor "The"
    # nor acronyms (dropped below anyway).
    ruled = byline(tokens, text, gaz) + role_mentions(tokens, text, gaz)
    not_names = name_cues()["not_names"]
    skip = taken | {i for i, t in enumerate(tokens) if t.low in not_names or (t.text.isupper() and len(t.key) > 2)}
    skip |= {i for mention in ruled for i in range(mention.start, mention.end)}
    for found in (ruled, _tagged(tokens, text, gaz, skip)):
        for mention in found:
            span = set(range(mention.start, mention.end))
            if not span & taken and not not_a_person(mention, tokens, text, gaz):
                mentions.append(mention)
                taken |= span
    mentions.sort(key=lambda m: m.start)
    return _resolve(mentions, tokens, text, matches, gaz, year)


def _gazetteer_mentions(matches: list) -> list[Mention]:
    mentions = []
    for m in matches:
        names = m.values("person")
        if m.end - m.start > 1 and names:
            mentions.append(Mention(m.start, m.end, "gazetteer", None, names[0]))
    return mentions


def _tagged(tokens: list, text: str, gaz, skip: set[int]) -> list[Mention]:
    """Take the tagger's spans, cut titles off their start and let them run to the name's end."""
    mentions = []
    kinds = person_tagger.single_kinds(gaz)
    for span in person_tagger.tag(tokens, text, gaz, TAGGER_BIAS, skip):
        start, stop = span.start, span.start + 1
        while stop < span.end and continues(tokens, stop, text):
            stop += 1                                 # not across a bracket or a full stop
        span = person_tagger.Span(start, stop, span.score)
        while start < span.end and not_name(tokens[start], gaz):
            start += 1
        if start >= span.end:
            continue
        end = max(span.end, name_end(tokens, start, gaz, text))
        start = initials_before(tokens, start, text, gaz)
        end = next((k + 1 for k in range(start, end - 1) if POSSESSIVE_RE.search(tokens[k].text)), end)
        words = tokens[start:end]                     # Schindler's, not Schindler's List
        hyphened = end - start > 1 and text[words[-2].end:words[-1].start] != " "      # Kim Young-sam
        if any(not_name(t, gaz) for t in words) or not (words[-1].text[:1].isupper() or hyphened) \
                or org_follows(tokens, end, gaz):
            continue
        if end - start == 1 and set(kinds.get(words[0].low, ())) & {"country", "source", "mask", "org"}:
            continue
        if words[0].low in ARTICLES or words[0].low in name_cues()["not_before"] or (
                start > 0 and tokens[start - 1].low in name_cues()["not_before"]):
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
    firms = firm_heads(tokens, gaz)
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
        elif m.rule == "byline" or not (_lone_given_name(tokens, m.start, gaz) or key in firms
                                        or common_opener(tokens, m, text)) and (
                m.rule == "role-cue" or (m.score or 0) >= _single_need(tokens, m, gaz)):
            kept.append(m)
    kept += [found for match in surnames.values() if (found := _surname(match, tokens, by_key, year))]
    kept.sort(key=lambda m: m.start)
    return kept


def _single_need(tokens: list, m: Mention, gaz) -> float:
    """Return the tagger margin a lone word needs: less before a reporting verb ("Borkus said")."""
    said = m.end < len(tokens) and tokens[m.end].low in gaz.verbs and tokens[m.end].spaced
    return MIN_SAID_SCORE if said else MIN_SINGLE_SCORE


def _lone_given_name(tokens: list, i: int, gaz) -> bool:
    """Tell whether a one-word mention is a given name cut from a longer name ("Major John").

    A given name alone after a lower-case word can be a person ("his son David") and after
    a royal or religious title is one ("Princess Diana").
    """
    cues = name_cues()
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
            and tokens[match.start].low not in name_cues()["family_first"]):
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
