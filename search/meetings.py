"""Find who met whom in an article: pairs of people, the date and the place.

A sentence is rewritten with each mention of one of the article's people (with the
titles before it: "Russian Foreign Minister Sergei Lavrov") replaced by a slot, and
meeting patterns are matched on that: "X met (with) Y", "X held talks with Y and Z",
"talks between X and Y", "a meeting of X, Y and Z", "X and Y discussed/agreed",
"Y was received by X", "the X-Y talks". Only people in a pattern's slots are
participants, so a spokesman reporting the talks or a person only mentioned in the
sentence is not. Negated and future meetings ("did not meet", "will meet") do not
match. The date is one the sentence gives ("on Tuesday", "on March 23"), else the
article's; the place is the country of an "in <capital>" / "at the <seat>" phrase.
"""
from __future__ import annotations

import re
from datetime import date, timedelta
from functools import lru_cache
from itertools import combinations

from chancery.search import entities

# Within a line, a sentence ends at the space after a mark, before a capital or a quote. Lines
# are split first (str.split, in C): the pattern then opens with a set of characters and is
# scanned in C from one candidate to the next (2.3x faster than one pattern with "|\n+").
SENTENCE_RE = re.compile(r"[.!?\"”’](\s+)(?=[\"“‘A-Z\[])")
SLOT = "\x01{}\x02"
P = "\x01\\d+\x02"
# The people of a list: "X, Y and Z", "X and Y", "X, Y".
LIST = rf"{P}(?:\s*,\s*{P})*(?:\s*,?\s*and\s+{P})?"
MULTI = rf"{P}(?:\s*,\s*{P})*\s*,?\s*and\s+{P}|{P}(?:\s*,\s*{P})+"
# Words that may stand between a subject and its meeting verb: auxiliaries and
# adverbs, never "not", "will" or a preposition.
GAP = r"(?:\s+(?:has|have|had|also|then|later|first|already|finally|earlier|reportedly|today|yesterday|"\
      r"confirmed|concluded|began|begun|started|opened|continued|his|her|their|the|a|an|on|\w+day))*"
MEETING_NOUN = r"(?:talks|meetings?|negotiations|consultations|summit|discussions?|conversation|dialogue)"
PATTERNS = [
    # talks between X and Y; a meeting of X, Y and Z; the talks among ...
    ("all", re.compile(rf"{MEETING_NOUN}\s+(?:between|of|among)\s+(?:the\s+)?(?P<all>{MULTI})", re.IGNORECASE)),
    # X (has) met (with) Y; X held/had talks with Y and Z; X's talks with Y
    ("one", re.compile(rf"(?P<one>{P})(?:['’]s)?{GAP}\s+(?:met|meets|meet|meeting|"
                       rf"(?:held|holds|hold|had|holding)\s+(?:\S+\s+){{0,3}}?{MEETING_NOUN}|"
                       rf"{MEETING_NOUN}|received|receives|hosted|hosts|welcomed|talked|negotiated|conferred)"
                       rf"\s+(?:with\s+)?(?:\S+\s+){{0,1}}?(?P<list>{LIST})")),
    # X and Y met / held talks / discussed / agreed; Putin, Kerry hold talks
    ("all", re.compile(rf"(?P<all>{MULTI}){GAP}\s+(?:met|meet|(?:held|holds|hold|had)\s+(?:\S+\s+){{0,3}}?"
                       rf"{MEETING_NOUN}|discussed|discuss|agreed|touched\s+upon|negotiated|talked)\b",
                       re.IGNORECASE)),
    # Y was received / met by X
    ("one", re.compile(rf"(?P<one>{P})\s+(?:was|were|has\s+been|had\s+been)\s+(?:received|hosted|welcomed|met)"
                       rf"\s+by\s+(?P<list>{LIST})")),
    # the X-Y talks
    ("all", re.compile(rf"(?P<all>{P}\s*[-–]\s*{P})\s+{MEETING_NOUN}")),
]
# Every pattern above needs one of these words: a sentence without any is not read further
# (finding its people's mentions cost most of the time of events at indexing).
CUE_RE = re.compile(r"\b(?:met|meets?|meetings?|talks|talked|negotiations|negotiated|consultations|summit|"
                    r"discussions?|discussed|discuss|conversation|dialogue|received|receives|hosted|hosts|"
                    r"welcomed|conferred|agreed|touched)\b", re.IGNORECASE)
SLOT_RE = re.compile(r"\x01(\d+)\x02")
# Title words that belong to a mention: "Russian Foreign Minister [Sergey] Lavrov".
TITLE_RE = re.compile(r"(?:(?:the|The|of|[A-Z][\w.’'-]*|\[[^\]]*\]|(?:presidential|foreign|prime|deputy|"
                      r"vice|state|defence|defense|chief|top)\s+|aide|envoy|spokes(?:man|woman|person)|"
                      r"minister|secretary|president|leader|counterpart|chief|head|ambassador)['’]?s?\s+)+$")
LEADING_RE = re.compile(r"of\s+")
RELATIVE_RE = re.compile(r",\s*(?:who|whose)\b[^,]*(?=,)")
WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
MONTHS = ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
          "november", "december"]
WEEKDAY_RE = re.compile(r"\bon\s+(" + "|".join(WEEKDAYS) + r")\b", re.IGNORECASE)
MONTH_DAY_RE = re.compile(r"\bon\s+(?:(\d{1,2})\s+(" + "|".join(MONTHS) + r")|(" + "|".join(MONTHS) +
                          r")\s+(\d{1,2}))(?:,?\s+(\d{4}))?", re.IGNORECASE)
PLACE_RE = re.compile(r"\b(?:in|at)\s+(?:the\s+)?((?:[A-Z][\w’'-]+)(?:\s+[A-Z][\w’'-]+){0,2})")


def sentences(text: str) -> list[str]:
    """Split text into sentences (and title, paragraph lines)."""
    found = []
    for line in text.split("\n"):
        start = 0
        for boundary in SENTENCE_RE.finditer(line):
            # The space after a mark (group 1) ends its sentence; the mark stays in it.
            found.append(line[start:boundary.start(1)].strip())
            start = boundary.end(1)
        found.append(line[start:].strip())
    return [sentence for sentence in found if sentence]


def _mentions(sentence: str, persons: list[str]) -> list[tuple[int, int, str]]:
    """Return (start, end, canonical person) spans of the article's people in a sentence."""
    wanted = set(persons)
    tokens = entities.tokenize(sentence)
    spans = []
    for match in entities._scan(tokens, entities.gazetteer()):
        names = {e.value for e in match.entries if e.kind in ("person", "surname") and e.value in wanted}
        if len(names) == 1:
            spans.append((tokens[match.start].start, tokens[match.end - 1].end, names.pop()))
    # People found from context have no gazetteer entry: match their name or surname.
    taken = {name for _, _, name in spans}
    for name in wanted - taken:
        last = name.split()[-1]
        for found in re.finditer(rf"\b(?:{re.escape(name)}|{re.escape(last)})\b", sentence):
            if not any(s <= found.start() < e for s, e, _ in spans):
                spans.append((found.start(), found.end(), name))
    return sorted(spans)


def _slotted(sentence: str, spans: list[tuple[int, int, str]]) -> tuple[str, list[str]]:
    """Return the sentence with each mention (and its titles) as a slot, and the slots' people."""
    out, names, position = [], [], 0
    for start, end, name in spans:
        if start < position:
            continue
        before = sentence[position:start]
        title = TITLE_RE.search(before)
        cut = title.start() if title else len(before)
        # A title never begins with "of": "a meeting of [Merkel]".
        while lead := LEADING_RE.match(before, cut):
            cut = lead.end()
        out.append(before[:cut])
        out.append(SLOT.format(len(names)))
        names.append(name)
        position = end
    out.append(sentence[position:])
    return RELATIVE_RE.sub("", "".join(out)), names


def _slots(text: str, names: list[str]) -> list[str]:
    return list(dict.fromkeys(names[int(i)] for i in SLOT_RE.findall(text)))


@lru_cache(maxsize=1)
def _first_keys() -> dict[str, frozenset]:
    """Return, per person, the first-token keys of the gazetteer's names for them."""
    found: dict[str, set] = {}
    for key, child in entities.gazetteer().trie.items():
        stack = [child] if key != entities.END else []
        while stack:
            for inner, value in stack.pop().items():
                if inner != entities.END:
                    stack.append(value)
                    continue
                for entry in value:
                    if entry.kind in ("person", "surname"):
                        found.setdefault(entry.value, set()).add(key)
    return {name: frozenset(keys) for name, keys in found.items()}


def _probes(persons: list[str]) -> list[tuple[str, str, frozenset]]:
    """Return, per distinct person, what _named looks for: the name, the surname and the first-token keys."""
    keys = _first_keys()
    return [(name, name.split()[-1], keys.get(name, frozenset())) for name in dict.fromkeys(persons)]


def _named(sentence: str, probes: list[tuple[str, str, frozenset]]) -> int:
    """Return how many of the people may be mentioned in the sentence: at least as many as are.

    A mention needs its first token's key (folded, lower-cased) or the name or surname
    in the text, so a sentence short of two costs a few substring tests, not the
    tokenizing and gazetteer scan of `_mentions` (98 % of cue sentences on the
    generated corpus).
    """
    plain = sentence.replace("’", "'")
    if not plain.isascii():
        return len(probes)        # folding is per token there: no shortcut
    low = plain.replace(".", "").lower()
    count = 0
    for name, surname, keys in probes:
        if name in sentence or surname in sentence:
            count += 1
        else:
            for key in keys:
                if key in low:
                    count += 1
                    break
    return count


def pairs_in(sentence: str, persons: list[str], probes: list | None = None) -> set[tuple[str, str]]:
    """Return the pairs of the article's people a sentence says met (each pair sorted)."""
    if _named(sentence, _probes(persons) if probes is None else probes) < 2 or not CUE_RE.search(sentence):
        return set()
    spans = _mentions(sentence, persons)
    if len({name for _, _, name in spans}) < 2:
        return set()
    text, names = _slotted(sentence, spans)
    found: set[tuple[str, str]] = set()
    for kind, pattern in PATTERNS:
        for match in pattern.finditer(text):
            if kind == "all":
                people = _slots(match.group("all"), names)
                found |= {tuple(sorted(pair)) for pair in combinations(people, 2)}
            else:
                one = _slots(match.group("one"), names)[0]
                found |= {tuple(sorted((one, other))) for other in _slots(match.group("list"), names)
                          if other != one}
    return found


def sentence_date(sentence: str, published: str | None) -> str | None:
    """Return the date a sentence gives, resolved against the article's date, else the article's."""
    base = date.fromisoformat(published) if published else None
    found = MONTH_DAY_RE.search(sentence)
    if found:
        day = int(found.group(1) or found.group(4))
        month = MONTHS.index((found.group(2) or found.group(3)).lower()) + 1
        year = int(found.group(5)) if found.group(5) else (base.year if base else None)
        if year:
            try:
                resolved = date(year, month, day)
            except ValueError:
                return published
            if not found.group(5) and base and resolved > base:
                resolved = resolved.replace(year=year - 1)
            return resolved.isoformat()
    weekday = WEEKDAY_RE.search(sentence)
    if weekday and base:
        back = (base.weekday() - WEEKDAYS.index(weekday.group(1).lower())) % 7
        return (base - timedelta(days=back)).isoformat()
    return published


def _seat_country(words: list[str]) -> str | None:
    """Return the country whose capital or seat the words name ("Moscow", "Kremlin"), if any."""
    node = entities.gazetteer().trie
    for token in entities.tokenize(" ".join(words)):
        node = node.get(token.low, {})
    found = {entry.value for entry in node.get(entities.END, []) if entry.kind == "country" and entry.seat}
    return found.pop() if len(found) == 1 else None


def sentence_place(sentence: str) -> str | None:
    """Return the country of the first "in/at <place>" phrase that names a capital or seat.

    A bare country ("in Syria") is more often the subject of the talks than their place.
    """
    for found in PLACE_RE.finditer(sentence):
        words = found.group(1).split()
        for size in range(len(words), 0, -1):
            country = _seat_country(words[:size])
            if country:
                return country
    return None


def extract(title: str, body: str, persons: list[str], published: str | None) -> list[dict]:
    """Return the article's meetings: {"persons": [a, b], "date": ISO or None, "place": country or None}."""
    if len(persons) < 2:
        return []
    meetings: dict[tuple[str, str], dict] = {}
    probes = _probes(persons)
    for sentence in [title] + sentences(body):
        for pair in sorted(pairs_in(sentence, persons, probes)):
            place = sentence_place(sentence)
            known = meetings.get(pair)
            if known is None:
                meetings[pair] = {"persons": list(pair), "date": sentence_date(sentence, published), "place": place}
            elif known["place"] is None and place:
                known["place"] = place
    return list(meetings.values())
