"""Tag an article with the topics it is about, weighing where and how often the evidence stands.

Cues come from data/topics.ini. A plain cue matches by stem after stop words are dropped
("cessation of hostilities" also finds "cessations of the hostilities"); a cue in quotes
matches the word forms as written, where a stem would mislead ("shelling" is not a "shell
company", "executions" are not "executives"). Counter-cues ("landslide victory", "outbreak
of violence") cancel every cue they overlap. A topic's score adds its distinct cues, a
strong cue weighing more than a weak one and a cue in the title or the lead more than one
further down; the article gets the topic when the score passes a threshold that grows with
the article's length and the topic holds a fair share of the article's evidence, so a
one-line item gets its topic and a long article is not tagged with every passing word.
A longer article must moreover be about the topic: named in its headline, in its lead and
again, or spread over its sentences; a report of talks keeps each subject it names outright.
"""
from __future__ import annotations

import math
from bisect import bisect_right
import re
from collections import defaultdict
from dataclasses import dataclass, field, replace
from functools import lru_cache
from itertools import islice
from typing import NamedTuple

from chancery.search import analysis, data

# A context cue (a casualty word) weighs as a weak one but cannot carry a topic alone: "killed
# and injured" says people were hurt, not whether by an accident, an attack or a war.
WEIGHTS = {"strong": 1.0, "weak": 0.4, "context": 0.4, "actor": 1.0}
TITLE_WEIGHT = 1.5
LEAD_WEIGHT = 1.25
LEAD_WORDS = 60
REPEAT_WEIGHT = 0.2        # each further occurrence of a cue already counted
REPEAT_CAP = 1.0
# A short item is all title and lead, so its evidence is all weighted up: it needs more.
THRESHOLD = 1.3            # items up to SHORT_WORDS
SHORT_WORDS = 120
# A longer article needs one strong cue (1.0) or three weak ones, until LONG_WORDS; past
# that the threshold grows, so a long feature is not tagged with every passing word.
LONG_THRESHOLD = 1.0
LONG_WORDS = 1000
GROWTH = 0.5               # threshold added per doubling of length past LONG_WORDS
# A longer article needs a strong cue for a topic: "court", "jailed" and "sentenced" make a crime
# story, not one about human rights. Only where the subject is told in everyday words (the
# economy: "market", "prices", "profit"; peace talks) do distinct weak cues carry it (topics.ini "weak_cues").
SHARE = 0.3                # a topic needs this share of the top topic's score (not in a report of talks)
# A longer article must be about a topic, not name it in passing (a "campaign stop" in a war
# story, "fuel" in a bombing): it needs a strong cue in the headline, or one in the lead that
# the article takes up again, or two distinct cues with strong ones in SPREAD_SENTENCES sentences
# or more (any cues where weak ones carry the topic).
SPREAD_SENTENCES = 2
LONG_SHARE = 0.4           # and, past SHORT_WORDS, this share of the top topic's score: less is a side issue
# A market or company report names what moves prices (a drought, a storm, fuel costs, a strike)
# without being about it: led by the economy, a longer article keeps another topic whose
# headline does not name it only when it weighs MARKET_SHARE of the economy's score.
MARKET_TOPIC = "trade"
ACTOR_SENTENCES = 2        # sentences naming an actor ("troops") with a deed that make it strong in a longer article
MARKET_SHARE = 0.5
# A report of talks lists the subjects the sides discussed, each often named once; it is one
# whose headline or lead says that people met or talked, and whose bilateral-relations evidence
# starts there and weighs READOUT_SHARE of the top topic's: the talks are the story, not an
# envoy's visit in a story of elections. There a subject named by a phrase, or by a word twice, counts.
READOUT_TOPIC = "bilateral-relations"
READOUT_SHARE = 0.6
TALKS_RE = re.compile(r"\b(?:talks|talked|meets?|met|meetings?|discuss(?:es|ed)?|conversation|summit|"
                      r"agree[ds]?|negotiat(?:e[ds]?|ions?))\b", re.IGNORECASE)
WORD_RE = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")
QUOTED_RE = re.compile(r'^"(.*)"$')
SENTENCE_END_RE = re.compile(r"[.!?](?=\s|$)|\n")
CLAUSE_BREAK_RE = re.compile(r"[,;:!?()\n]|\.(?=\s)")


@dataclass(frozen=True)
class Cue:
    slug: str
    phrase: str
    words: tuple          # stems, or lowercase word forms when exact
    mode: str             # exact (word forms), full (stems, stop words kept: counter-cues), content
    strength: str         # strong, weak, context, actor or not


@dataclass
class Taxonomy:
    labels: dict = field(default_factory=dict)
    boosts: dict = field(default_factory=dict)     # slug -> how much its evidence weighs (topics.ini "boost")
    weak_cues: dict = field(default_factory=dict)  # slug -> distinct weak cues that carry it alone in a longer article
    by_first: dict = field(default_factory=lambda: {mode: defaultdict(list) for mode in ("exact", "full", "content")})


class Word(NamedTuple):
    form: str             # lowercase, accents folded
    stem: str
    start: int
    end: int


class Hit(NamedTuple):
    cue: Cue
    field: str
    start: int
    end: int
    weight: float


def _cue(slug: str, phrase: str, strength: str) -> Cue | None:
    quoted = QUOTED_RE.match(phrase)
    if quoted:
        words = tuple(w.form for w in _words(quoted.group(1), keep_stops=True))
        return Cue(slug, quoted.group(1), words, "exact", strength) if words else None
    if strength == "not":
        # A counter-cue keeps its small words: "flood of" must not cancel every "flood".
        stems = tuple(w.stem for w in _words(phrase, keep_stops=True))
        return Cue(slug, phrase, stems, "full", strength) if stems else None
    stems = tuple(analysis.terms(phrase))
    return Cue(slug, phrase, stems, "content", strength) if stems else None


@lru_cache(maxsize=1)
def taxonomy() -> Taxonomy:
    """Load the topic labels and cues once."""
    parser = data.ini("topics.ini")
    found = Taxonomy()
    for slug in parser.sections():
        section = parser[slug]
        found.labels[slug] = section["label"]
        found.boosts[slug] = float(section.get("boost", "1.0"))
        found.weak_cues[slug] = int(section.get("weak_cues", "0")) or math.inf
        for strength in ("strong", "weak", "context", "actor", "not"):
            for phrase in data.split_list(section.get(strength, "")):
                cue = _cue(slug, phrase, strength)
                if cue:
                    found.by_first[cue.mode][cue.words[0]].append(cue)
    return found


def labels() -> dict[str, str]:
    """Return every topic slug with its label."""
    return taxonomy().labels


def topic_label(slug: str) -> str | None:
    """Return the label of a topic slug, if it is one."""
    return taxonomy().labels.get(slug)


# Bounded like analysis.cached_stem: emptied when full.
READING_CACHE_SIZE = 100_000
_READINGS: dict[str, tuple[str, str, bool]] = {}


def _reading(raw: str) -> tuple[str, str, bool]:
    """Return a lowercase word's folded form, its stem (a stop word is its own) and whether it is a stop word."""
    found = _READINGS.get(raw)
    if found is None:
        form = raw if raw.isascii() else raw.replace("’", "'").translate(analysis.accent_map)
        base = form[:-2] if form[-2:] == "'s" else form
        stop = base in analysis.stopwords()
        if len(_READINGS) >= READING_CACHE_SIZE:
            _READINGS.clear()
        found = _READINGS[raw] = (form, base if stop else analysis.cached_stem(base), stop)
    return found


def _lowered(text: str) -> str:
    """Lower-case a text, keeping every character's offset."""
    lowered = text.lower()
    if len(lowered) != len(text):                  # a letter whose lower case is longer
        lowered = "".join(ch.lower()[:1] for ch in text)
    return lowered


def _words(text: str, keep_stops: bool = False) -> list[Word]:
    words = []
    for match in WORD_RE.finditer(_lowered(text)):
        form, key, stop = _reading(match.group())
        if keep_stops or not stop:
            words.append(Word(form, key, match.start(), match.end()))
    return words


def _hits(text: str, field_name: str, lead_end: int, head_end: int = 0) -> list[Hit]:
    """Find every cue and counter-cue in one field; drop cues a counter-cue overlaps."""
    by_first = taxonomy().by_first
    stops = analysis.stopwords()
    lowered = _lowered(text)
    # Words as parallel lists of plain values, and offsets only up to the last cue: a Word
    # (and a regex match) for every word cost half of the tagging.
    raws = WORD_RE.findall(lowered)
    readings = [_READINGS.get(raw) or _reading(raw) for raw in raws]
    forms = [r[0] for r in readings]
    stems = [r[1] for r in readings]
    content = [i for i, stem in enumerate(stems) if stem not in stops]
    matched = []                              # (cue, index of its first word, of its last word)
    for keys, positions, mode in ((forms, None, "exact"), (stems, None, "full"),
                                  ([stems[i] for i in content], content, "content")):
        cues = by_first[mode]
        for i in [i for i, key in enumerate(keys) if key in cues]:
            for cue in cues[keys[i]]:
                length = len(cue.words)
                if length > 1 and tuple(keys[i:i + length]) != cue.words:
                    continue
                last = i + length - 1
                matched.append((cue, i, last) if positions is None else (cue, positions[i], positions[last]))
    if not matched:
        return []
    starts = _starts(lowered, raws, max(last for _, _, last in matched) + 1)
    found, cancelled = [], defaultdict(set)  # slug -> indexes of the words a counter-cue covers
    for cue, first, last in matched:
        if last > first and CLAUSE_BREAK_RE.search(text, starts[first] + len(raws[first]), starts[last]):
            continue                          # "aid, the agency said" is no "aid agency"
        if cue.strength == "not":
            cancelled[cue.slug].update(range(first, last + 1))
            continue
        start, end = starts[first], starts[last] + len(raws[last])
        place = (TITLE_WEIGHT if field_name == "title" or start < head_end
                 else LEAD_WEIGHT if start < lead_end else 1.0)
        found.append((Hit(cue, field_name, start, end, WEIGHTS[cue.strength] * place), first, last))
    return [hit for hit, first, last in found if cancelled[hit.cue.slug].isdisjoint(range(first, last + 1))]


def _starts(text: str, raws: list[str], count: int) -> list[int]:
    """Return the offsets of the first count words that WORD_RE.findall found in a text."""
    starts, position = [], 0
    for raw in raws[:count]:
        # What lies between two words cannot start one, so the next occurrence is the word.
        position = text.find(raw, position)
        starts.append(position)
        position += len(raw)
    return starts


def _lead_end(body: str) -> int:
    last = next(islice(WORD_RE.finditer(body), LEAD_WORDS - 1, None), None)
    return last.end() if last else len(body)


def _first_sentence_end(body: str) -> int:
    match = SENTENCE_END_RE.search(body)
    return match.end() if match else len(body)


def threshold(word_count: int) -> float:
    """Return the score a topic needs in an article of this many words."""
    if word_count <= SHORT_WORDS:
        return THRESHOLD
    return LONG_THRESHOLD + GROWTH * max(0.0, math.log2(word_count / LONG_WORDS))


def _outermost(hits: list[Hit]) -> list[Hit]:
    """Drop a hit that lies inside a longer hit of the same topic ("ties" in "ties with")."""
    kept: list[Hit] = []
    # Longest first at each start: a later hit inside the last kept span is covered by it.
    for hit in sorted(hits, key=lambda h: (h.field, h.start, -(h.end - h.start), -h.weight)):
        last = kept[-1] if kept else None
        if last is not None and last.field == hit.field and hit.end <= last.end and (
                last.end - last.start, last.weight) > (hit.end - hit.start, hit.weight):
            continue
        kept.append(hit)
    return kept


def score(hits: list[Hit]) -> float:
    """Add up a topic's evidence: each distinct cue at its best place, repeats a little."""
    by_cue: dict[tuple, list[Hit]] = defaultdict(list)
    for hit in hits:
        by_cue[hit.cue.words].append(hit)
    total = 0.0
    for found in by_cue.values():
        base = WEIGHTS[found[0].cue.strength]
        total += max(hit.weight for hit in found) + base * min(REPEAT_CAP, REPEAT_WEIGHT * (len(found) - 1))
    return total


@dataclass
class Tagged:
    """The topics of an article, each with its score and the hits behind it."""
    topics: list = field(default_factory=list)
    scores: dict = field(default_factory=dict)
    threshold: float = THRESHOLD
    hits: dict = field(default_factory=dict)       # slug -> [Hit]


def _sentence_starts(body: str) -> list[int]:
    return [0] + [match.end() for match in SENTENCE_END_RE.finditer(body)]


def _about(found: list[Hit], head_end: int, lead_end: int, starts: list[int], readout: bool,
           weak_carry: bool) -> bool:
    """Say whether a longer article is about a topic: named in the headline, in the lead and again, or spread."""
    found = [hit for hit in found if hit.cue.strength != "context"]
    strong = [hit for hit in found if hit.cue.strength == "strong"]
    if any(hit.field == "title" or hit.start < head_end for hit in strong):
        return True
    sentences = {-1 if hit.field == "title" else bisect_right(starts, hit.start) for hit in found}
    cues = {hit.cue.words for hit in found}
    if any(hit.start < lead_end for hit in strong):
        return len(cues) >= 2 or len(sentences) >= 2
    if readout and (any(len(hit.cue.words) > 1 for hit in strong)
                    or len({bisect_right(starts, hit.start) for hit in strong}) >= 2):
        return True
    if not weak_carry:
        # Spread evidence must name the topic outright more than once: one "clashes" among "attack"
        # and "killed" in a riot story, or one "party leader" in passing, is no war or election.
        sentences = {bisect_right(starts, hit.start) for hit in strong}
    return len(cues) >= 2 and len(sentences) >= SPREAD_SENTENCES


def _readout(title: str, body: str, by_slug: dict, scores: dict, lead_end: int) -> bool:
    """Say whether an article reports talks: a meeting and bilateral relations in its headline or lead, weighing."""
    found = by_slug.get(READOUT_TOPIC, ())
    if not TALKS_RE.search(title) and not TALKS_RE.search(body, 0, lead_end):
        return False
    return scores.get(READOUT_TOPIC, 0.0) >= READOUT_SHARE * max(scores.values(), default=0.0) and any(
        hit.cue.strength == "strong" and (hit.field == "title" or hit.start < lead_end) for hit in found)


@lru_cache(maxsize=None)
def _as(cue: Cue, strength: str) -> Cue:
    return replace(cue, strength=strength)


def _actors(hits: list[Hit], longer: bool, starts: list[int]) -> list[Hit]:
    """Weigh an actor cue as strong in a short item or where sentences tell what actors did, else as weak."""
    # "Troops" or "rebels" name the topic in a brief, but a longer story about them may be a
    # peacekeeping, police or court story: there ACTOR_SENTENCES sentences must name them
    # with a deed of the topic ("the rebels shelled", "soldiers said the fighting").
    told = defaultdict(lambda: defaultdict(set))      # slug -> strength -> sentences
    for hit in hits:
        sentence = -1 if hit.field == "title" else bisect_right(starts, hit.start)
        told[hit.cue.slug][hit.cue.strength].add(sentence)
    found = []
    for hit in hits:
        if hit.cue.strength == "actor":
            both = told[hit.cue.slug]["actor"] & told[hit.cue.slug]["weak"]
            strength = "weak" if longer and len(both) < ACTOR_SENTENCES else "strong"
            hit = hit._replace(cue=_as(hit.cue, strength), weight=hit.weight * WEIGHTS[strength])
        found.append(hit)
    return found


def tag(title: str, body: str) -> Tagged:
    """Return the topics of an article with the evidence for each."""
    # An item without a title has its first sentence for a headline.
    head_end = 0 if title.strip() else _first_sentence_end(body)
    lead_end = _lead_end(body)
    words = len(WORD_RE.findall(body)) + len(WORD_RE.findall(title))
    longer = words > SHORT_WORDS
    starts = _sentence_starts(body)
    hits = _actors(_hits(title, "title", 0) + _hits(body, "body", lead_end, head_end), longer, starts)
    by_slug: dict[str, list[Hit]] = defaultdict(list)
    for hit in hits:
        by_slug[hit.cue.slug].append(hit)
    by_slug = {slug: _outermost(found) for slug, found in by_slug.items()}
    boosts, weak_cues = taxonomy().boosts, taxonomy().weak_cues
    scores = {slug: round(score(found) * boosts[slug], 3) for slug, found in by_slug.items()}
    need = threshold(words)
    top = max(scores.values(), default=0.0)
    readout = longer and _readout(title, body, by_slug, scores, lead_end)
    result = Tagged(threshold=need)
    for slug in taxonomy().labels:
        value = scores.get(slug, 0.0)
        found = by_slug.get(slug, ())
        if all(hit.cue.strength == "context" for hit in found):
            continue
        if longer and not any(hit.cue.strength == "strong" for hit in found) and len(
                {hit.cue.words for hit in found if hit.cue.strength == "weak"}) < weak_cues[slug]:
            continue
        if longer and not _about(found, head_end, lead_end, starts, readout, weak_cues[slug] < math.inf):
            continue
        share = LONG_SHARE if longer else SHARE
        if longer and slug != MARKET_TOPIC and scores.get(MARKET_TOPIC) == top and not any(
                hit.field == "title" or hit.start < head_end for hit in found):
            share = MARKET_SHARE
        if value >= need and (readout or value >= share * top):
            result.topics.append(slug)
            result.scores[slug] = value
            result.hits[slug] = by_slug[slug]
    return result


def find_topics(text: str) -> list[str]:
    """Return the topic slugs of a text given as a body without title."""
    return tag("", text).topics
