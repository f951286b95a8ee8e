"""Rank natural-language queries: BM25F, then proximity, entities and pseudo-relevance feedback.

Each word of the query is scored once over title and body together (BM25F: the
field frequencies are weighted and length-normalised per field, then saturated
once), not as two independent BM25 scores. On top of that, for a query of plain
words (no +, -, AND, NOT or field:, whose meaning the user fixed) of at least
MIN_WORDS different words (a question or a pasted text, not a few keywords, which
match as typed and cost no more than before; entities apply to both):

- proximity: among the best PROXIMITY_DOCS documents, query words that stand near
  each other in the body add a bonus (BM25TP-like, 1/distance², saturated);
- entities: a person or country named in the query also matches the articles whose
  facet holds it, so "USA sanctions" finds articles that only say "Washington";
- feedback (RM3): the words most typical of the best feedback_docs documents (their
  first FEEDBACK_CHARS characters) add to the scores of the best RERANK_DOCS documents.

Every step reads a bounded number of documents and terms, so a query's cost grows
with the corpus no faster than a plain search's. The parameters were tuned on all
the classic collections together (`python -m bench.relevance`), not on one.
"""
from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, replace

import numpy as np
from whoosh import query as wq

from chancery.search import analysis, entities, schema
from chancery.search.postings import locate_sorted
from chancery.search.query import TEXT_FIELDS, Word

MIN_WORDS = 4                  # fewer words are keywords: BM25F and entities only
PROXIMITY_DOCS = 20
PROXIMITY_TERMS = 5
MAX_FEEDBACK_DOCS = 20
FEEDBACK_CANDIDATES = 6         # words weighed by idf per expansion word kept
FEEDBACK_CHARS = 1500          # a news article's title and lead say what it is about
RERANK_DOCS = 300
ENTITY_CHARS = 1000


@dataclass(frozen=True)
class Params:
    """Ranking parameters; the defaults are the tuned ones."""
    k1: float = 1.2
    b_title: float = 0.75
    b_body: float = 0.75
    w_title: float = 2.0
    w_body: float = 1.0
    proximity: float = 0.3
    proximity_window: int = 5
    feedback: float = 0.4          # weight of the expansion terms (RM3's 1 - lambda)
    feedback_terms: int = 20
    feedback_docs: int = 5
    entity: float = 1.0


DEFAULT = Params()
PLAIN = Params(feedback=0.0, proximity=0.0, entity=0.0)


def _stats(snap) -> dict:
    """Return the snapshot's live-document count and mean field lengths (computed once)."""
    found = getattr(snap, "ranking_stats", None)
    if found is None:
        live = snap.live
        # Whoosh reads the length of a field with no indexed word as NaN.
        lengths = {f: np.nan_to_num(snap.lengths[f]) for f in TEXT_FIELDS}
        found = {"n": max(int(live.sum()), 1), "lengths": lengths,
                 **{f: max(float(lengths[f][live].mean()) if live.any() else 1.0, 1.0) for f in TEXT_FIELDS}}
        snap.ranking_stats = found
    return found


def idf(n: int, df: int) -> float:
    """Return BM25's idf, kept positive (Lucene's form)."""
    return math.log(1.0 + (n - df + 0.5) / (df + 0.5))


def _field_params(params: Params) -> list[tuple[str, float, float, float]]:
    """Return (field, weight, b, boost) of each field."""
    return [("title", params.w_title, params.b_title, schema.TITLE_BOOST), ("body", params.w_body, params.b_body, 1.0)]


def _normalised(weights: np.ndarray, lengths: np.ndarray, stats: dict, field: str, weight: float, b: float,
                boost: float) -> np.ndarray:
    """Return BM25F's weighted, length-normalised frequencies of a field."""
    return weight * (weights / boost) / ((1.0 - b) + b * lengths / stats[field])


def bm25f(snap, stem: str, params: Params) -> tuple[np.ndarray, np.ndarray, float]:
    """Return (mask, scores, idf) of one stem over title and body together, as dense arrays."""
    stats = _stats(snap)
    # All segments' postings at once (numpy's cost per call, a few calls a segment of 40, was
    # most of a rare word's time at 1M articles), summed over the documents that hold the
    # word: a frequency array of a million documents cost four passes over it a word.
    (docs, tf), *others = [(ids, _normalised(weights, stats["lengths"][field][ids], stats, field, weight, b, boost))
                           for field, weight, b, boost in _field_params(params)
                           for ids, weights in [snap.term(field, stem)]]
    for ids, found in others:
        docs, tf = _summed(docs, tf, ids, found)
    kept = (tf > 0) & snap.live[docs]
    docs, tf = docs[kept], tf[kept]
    mask = np.zeros(snap.size, bool)
    mask[docs] = True
    scores = np.zeros(snap.size)
    if not len(docs):
        return mask, scores, 0.0
    document_counts(snap)[stem] = len(docs)
    weight = idf(stats["n"], len(docs))
    scores[docs] = weight * tf * (params.k1 + 1.0) / (tf + params.k1)
    return mask, scores, weight


def _summed(docs: np.ndarray, values: np.ndarray, more: np.ndarray, more_values: np.ndarray):
    """Return the documents of two sorted arrays, each once, with their values summed."""
    if not len(docs) or not len(more):
        return (more, more_values) if not len(docs) else (docs, values)
    at, held = locate_sorted(more, docs)
    values[at[held]] += more_values[held]
    return np.concatenate([docs, more[~held]]), np.concatenate([values, more_values[~held]])


def bm25f_of(snap, stems: list[str], params: Params, docs: np.ndarray) -> np.ndarray:
    """Return the BM25F scores of some stems in some documents (sorted), a row a stem, reading only their postings."""
    stats = _stats(snap)
    tf = np.zeros((len(stems), len(docs)))
    for field, weight, b, boost in _field_params(params):
        tf += _normalised(snap.terms_at(field, stems, docs), stats["lengths"][field][docs], stats, field, weight, b,
                          boost)
    idfs = _df_idfs(snap, stems, stats)
    weights = np.array([idfs[stem] for stem in stems])[:, None]
    return weights * tf * (params.k1 + 1.0) / (tf + params.k1)


def document_counts(snap) -> dict:
    """Return a version's cache of stems' document counts, filled as queries rank (0: in no article)."""
    cache = getattr(snap, "ranking_df", None)
    if cache is None:
        cache = snap.ranking_df = {}
    return cache


def plain_words(tree: wq.Query) -> list[Word] | None:
    """Return the Word nodes of a query of plain words (and compounds), or None for any operator."""
    if isinstance(tree, Word):
        return [tree]
    if isinstance(tree, wq.Phrase):
        return []           # a compound's phrase ranks; it adds no word
    if isinstance(tree, wq.Or):
        found = []
        for child in tree.subqueries:
            inner = plain_words(child)
            if inner is None:
                return None
            found += inner
        return found
    return None


def rerank(snap, tree: wq.Query, text: str, mask: np.ndarray, scores: np.ndarray,
           params: Params = DEFAULT) -> tuple[np.ndarray, np.ndarray]:
    """Add proximity, entity and feedback evidence to a plain-word query's scores (both arrays changed in place)."""
    words = plain_words(tree)
    if not words:
        return mask, scores
    weights = Counter()
    for node in words:
        weights[node.stem] += node.boost
    sentence = len(weights) >= MIN_WORDS
    if params.proximity and sentence:
        docs, bonus = _proximity(snap, mask, scores, list(weights), params)
        scores[docs] += bonus
    if params.entity:
        mask, scores = _entities(snap, text, mask, scores, params)
    if params.feedback and sentence and mask.any():
        mask, scores = _feedback(snap, mask, scores, weights, params)
    return mask, scores


def _top(mask: np.ndarray, scores: np.ndarray, k: int) -> np.ndarray:
    """Return the k best documents of a mask, best first, ties in document order (so the first
    few of a longer top are the same as a shorter top's)."""
    docs = np.flatnonzero(mask)
    if len(docs) > k:
        found = scores[docs]
        docs = docs[found >= np.partition(found, len(docs) - k)[len(docs) - k]]
    return docs[np.lexsort((docs, -scores[docs]))][:k]


def _proximity(snap, mask: np.ndarray, scores: np.ndarray, stems: list[str], params: Params
               ) -> tuple[np.ndarray, np.ndarray]:
    """Return the best documents and a bonus each for different query words standing close together in it."""
    stats = _stats(snap)
    docs = _top(mask, scores, PROXIMITY_DOCS)
    if len(docs) < 2:
        return docs[:0], np.zeros(0)
    # The rarest words matter most and bound the work.
    idfs = _df_idfs(snap, stems, stats)
    rated = sorted(stems, key=lambda s: -idfs[s])[:PROXIMITY_TERMS]
    weights = {s: idfs[s] for s in rated}
    # The few best documents' bodies analysed again, as a highlighter does: the same positions
    # as the index's, where reading them from the index took a block a rare word a segment.
    bonus = np.zeros(len(docs))
    wanted = set(weights)
    for row, doc in enumerate(docs.tolist()):
        found = analysis.positions(snap.searcher.stored_fields(doc).get("body", ""), wanted)
        acc = 0.0
        for (p1, s1), (p2, s2) in zip(found, found[1:]):
            if s1 != s2 and p2 - p1 <= params.proximity_window:
                acc += min(weights[s1], weights[s2]) / (p2 - p1) ** 2
        bonus[row] = params.proximity * acc * (params.k1 + 1) / (acc + params.k1) if acc else 0.0
    return docs, bonus


def _df_idfs(snap, stems: list[str], stats: dict) -> dict[str, float]:
    """Return stems' idf from a per-snapshot cache, the frequencies it lacks read in one pass over the segments."""
    cache = document_counts(snap)
    missing = [stem for stem in dict.fromkeys(stems) if stem not in cache]
    if missing:
        found = np.maximum.reduce([snap.doc_frequencies(f, missing) for f in TEXT_FIELDS])
        cache.update(zip(missing, found.tolist()))
    return {stem: idf(stats["n"], cache[stem]) if cache[stem] else 0.0 for stem in stems}


def _entities(snap, text: str, mask: np.ndarray, scores: np.ndarray, params: Params):
    """Match and boost the articles whose person or country facet holds an entity the query names."""
    text = text[:ENTITY_CHARS]
    if not any(ch.islower() for ch in text):
        return mask, scores     # in capitals, "US" or "IN" are words, not names
    found = entities.extract("", text)
    # A surname alone names its person when only one known person has it ("Lavrov");
    # the indexer asks for the full name somewhere in an article, a query has no room.
    surnames = [entities.canonical_person(w) for w in re.findall(r"\b[A-Z][a-z]{3,}\b", text)]
    persons = list(dict.fromkeys(found.persons + [p for p in surnames if p]))
    stats = _stats(snap)
    for facet, values in (("person", persons), ("country", found.countries)):
        for value in values:
            docs = snap.facets[facet].docs(value)
            docs = docs[snap.live[docs]]        # each live article holding the value once
            if not len(docs):
                continue
            scores[docs] += params.entity * idf(stats["n"], len(docs))
            mask[docs] = True
    return mask, scores


def _feedback(snap, mask: np.ndarray, scores: np.ndarray, weights: Counter, params: Params):
    """RM3: mix the query with the words most typical of its best documents."""
    stats = _stats(snap)
    # The best RERANK_DOCS, whose expansion reorders them, and among them the feedback documents.
    best = _top(mask, scores, max(RERANK_DOCS, MAX_FEEDBACK_DOCS))
    docs = best[:min(params.feedback_docs, MAX_FEEDBACK_DOCS)]
    top = scores[docs]
    doc_weights = top / top.sum() if top.sum() > 0 else np.full(len(docs), 1.0 / len(docs))
    model: Counter = Counter()
    for doc, doc_weight in zip(docs, doc_weights):
        fields = snap.searcher.stored_fields(int(doc))
        terms = analysis.terms((fields.get("title", "") + " " + fields.get("body", ""))[:FEEDBACK_CHARS])
        if terms:
            for stem, count in Counter(terms).items():
                model[stem] += doc_weight * count / len(terms)
    # The likeliest words first, then weighted by idf: bounds the idf look-ups per query.
    likeliest = model.most_common(FEEDBACK_CANDIDATES * params.feedback_terms)
    idfs = _df_idfs(snap, [stem for stem, _ in likeliest], stats)
    model = Counter({stem: weight * idfs[stem] for stem, weight in likeliest})
    chosen = [s for s, _ in model.most_common(params.feedback_terms)]
    total = sum(model[s] for s in chosen)
    if not total:
        return mask, scores
    original = sum(weights.values())
    mixed = scores          # mixed in place: the query's scores are not read again
    mixed *= 1.0 - params.feedback
    mixed /= original
    # The expansion reorders the best RERANK_DOCS, where the pages people read are.
    candidates = np.sort(best[:RERANK_DOCS])
    shares = np.array([params.feedback * model[stem] / total for stem in chosen])
    mixed[candidates] += shares @ bm25f_of(snap, chosen, params, candidates)
    # The expansion reorders what the query matched; it adds no match (a measured wash on
    # the dev collections, and a query's total stays the articles holding its words): the
    # candidates are matches, and scores are 0 outside the mask.
    return mask, mixed


def with_params(**changes) -> Params:
    """Return the default parameters with some changed (for tuning)."""
    return replace(DEFAULT, **changes)
