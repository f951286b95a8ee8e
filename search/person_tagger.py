"""Tag person names in a token sequence with a trained averaged perceptron.

Only capitalised tokens (and name particles such as "van", "al" between them) are
scored: the rest of the text cannot start or continue a name, and skipping it keeps
extraction fast. Each candidate gets B (begins a name), I (continues one) or O from
features of its shape, its neighbours, the given-name list and the gazetteer. The
weights are JSON in search/data/person_tagger.json, written by `python -m
search.train_persons`; loading never executes anything from the file.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache

from chancery.search import data

MODEL_FILE = "person_tagger.json"
LEXICON_FILE = "word_zipf.txt"
NAMES_FILE = "census_names.txt"
LABELS = ("B", "I", "O")
PARTICLES = frozenset("van von der den de del della di da dos du la le al el bin ibn abu bint ben ter wa dal dalla "
                      "dello degli dei".split())
SENTENCE_END = frozenset(".!?\n:;\"“”")
END = "\0"          # the gazetteer trie's end-of-alias key


@dataclass(frozen=True)
class Span:
    start: int        # token index
    end: int          # token index, exclusive
    score: float      # the weakest token margin of the span over O


@lru_cache(maxsize=100_000)
def shape(text: str) -> str:
    """Return a compressed letter shape: "Xx", "X.X.", "x-Xx", "d"."""
    out = []
    for ch in text[:8]:
        kind = "X" if ch.isupper() else "x" if ch.isalpha() else "d" if ch.isdigit() else ch
        if not out or out[-1] != kind:
            out.append(kind)
    return "".join(out)


def candidates(tokens) -> list[bool]:
    """Mark the tokens the tagger scores: capitalised words and particles between them."""
    marks = [t.text[:1].isupper() and t.text != "," for t in tokens]
    for i in range(1, len(tokens) - 1):
        if not marks[i] and tokens[i].low in PARTICLES and marks[i - 1] and tokens[i + 1].text[:1].isupper():
            marks[i] = True
    return marks


def sentence_start(tokens, i: int, text: str) -> bool:
    """Tell whether token i opens a sentence, a line or a quotation."""
    if i == 0:
        return True
    gap = text[tokens[i - 1].end:tokens[i].start]
    return any(ch in SENTENCE_END for ch in gap)


def features(tokens, i: int, text: str, previous: str, gaz, kinds: dict, first: bool) -> list[str]:
    """Return the feature names of candidate token i."""
    token = tokens[i]
    low = token.low
    prev = tokens[i - 1].low if i > 0 and not first else "<s>"
    prev2 = tokens[i - 2].low if i > 1 and not first else "<s>"
    after = tokens[i + 1] if i + 1 < len(tokens) else None
    nxt = after.low if after is not None else "</s>"
    nxt2 = tokens[i + 2].low if i + 2 < len(tokens) else "</s>"
    found = [
        "b", "w=" + low, "s=" + shape(token.text), "x3=" + low[-3:], "x2=" + low[-2:], "pt=" + previous,
        "p1=" + prev, "n1=" + nxt, "p2=" + prev2, "n2=" + nxt2, "pt+w=" + previous + low,
        "p1+pt=" + prev + previous,
    ]
    if first:
        found.append("first")
    if token.text.isupper() and len(token.text) > 1:
        found.append("caps")
    if token.key in gaz.given_names:
        found.append("given")
    if i > 0 and tokens[i - 1].key in gaz.given_names:
        found.append("p-given")
    if token.key in gaz.org_words:
        found.append("org")
    if after is not None and after.key in gaz.org_words:
        found.append("n-org")
    if prev in gaz.roles:
        found.append("p-role")
    if nxt in gaz.verbs:
        found.append("n-verb")
    if after is not None and after.text[:1].isupper():
        found += ["n-cap", "nx3=" + nxt[-3:], "ns=" + shape(after.text)]
        if after.key in gaz.given_names:
            found.append("n-given")
    if i > 0 and tokens[i - 1].text[:1].isupper() and not first:
        found += ["p-cap", "px3=" + prev[-3:]]
    for kind in kinds.get(low, ()):
        found.append("g=" + kind)
    # How common the word is in lower case ("Interior" is common, "Shabazov" unknown) and
    # whether it is a given name or a surname of a census.
    common, names = buckets(LEXICON_FILE), buckets(NAMES_FILE)
    found += ["zf=" + common.get(low, "0"), "cn=" + names.get(low, "-")]
    if after is not None:
        found += ["nzf=" + common.get(nxt, "0"), "ncn=" + names.get(nxt, "-")]
    return found


@lru_cache(maxsize=4)
def buckets(name: str) -> dict[str, str]:
    """Load a word-list file of "bucket<TAB>words" lines once: lower-cased word -> bucket."""
    found = {}
    for line in data.lines(name):
        bucket, _, words = line.partition("\t")
        found.update(dict.fromkeys(words.split(), bucket))
    return found


_KINDS: dict[int, dict[str, tuple[str, ...]]] = {}


def single_kinds(gaz) -> dict[str, tuple[str, ...]]:
    """Return, per lower-cased word, the kinds of gazetteer entry it is alone (country, person...)."""
    if id(gaz) not in _KINDS:
        _KINDS.clear()
        _KINDS[id(gaz)] = {key: tuple(sorted({entry.kind for entry in node[END]}))
                           for key, node in gaz.trie.items() if END in node}
    return _KINDS[id(gaz)]


@lru_cache(maxsize=1)
def model() -> dict[str, list[float]]:
    """Load the tagger weights once: feature -> one weight per label."""
    with data.path(MODEL_FILE).open(encoding="utf-8") as handle:
        loaded = json.load(handle)
    if loaded.get("labels") != list(LABELS):
        raise ValueError(f"{MODEL_FILE}: expected labels {LABELS}, got {loaded.get('labels')}")
    return loaded["weights"]


def predict(weights: dict, feats: list[str], bias: float = 0.0) -> tuple[str, float]:
    """Return the best label and its margin over O, O's score lowered by bias."""
    b = i = 0.0
    o = -bias
    for feat in feats:
        w = weights.get(feat)
        if w is not None:
            b += w[0]
            i += w[1]
            o += w[2]
    if b >= i and b > o:
        return "B", b - o
    if i > b and i > o:
        return "I", i - o
    return "O", 0.0


def tag(tokens, text: str, gaz, bias: float = 0.0, skip: frozenset | set = frozenset()) -> list[Span]:
    """Return the person-name spans the model finds in a tokenized text, not scoring the skipped tokens."""
    weights = model()
    kinds = single_kinds(gaz)
    marks = candidates(tokens)
    spans: list[Span] = []
    previous = "O"
    start, score = -1, 0.0
    for i, token in enumerate(tokens):
        label, margin = "O", 0.0
        if marks[i] and i not in skip:
            feats = features(tokens, i, text, previous, gaz, kinds, sentence_start(tokens, i, text))
            label, margin = predict(weights, feats, bias)
        if label == "I" and (previous == "O" or not token.joined):
            label = "B"
        if start >= 0 and label != "I":
            spans.append(Span(start, i, score))
            start = -1
        if label == "B":
            start, score = i, margin
        elif label == "I":
            score = min(score, margin)
        previous = label
    if start >= 0:
        spans.append(Span(start, len(tokens), score))
    return spans
