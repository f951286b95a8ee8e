"""Evaluate a query tree into a boolean mask and a score per document, with numpy arrays.

Terms are scored with Whoosh's own BM25F formula and parameters over the segments'
postings arrays, so the ranking is Whoosh's (tests/test_evaluator.py compares the
two); a query word is scored by search.ranking's BM25F over title and body together
when ranking parameters are given; phrases are matched on positions; nodes the arrays
do not cover are scored by Whoosh's matcher.
"""
from __future__ import annotations

import math

import numpy as np
from whoosh import query as wq
from whoosh.scoring import BM25F

from chancery.search import ranking, schema
from chancery.search.query import TEXT_FIELDS, Word
from chancery.search.snapshot import Snapshot

WEIGHTING = BM25F()


def dense(snap: Snapshot, docs: np.ndarray) -> np.ndarray:
    """Return the mask of some documents (deleted ones left out)."""
    mask = np.zeros(snap.size, bool)
    mask[docs] = True
    return mask & snap.live


class Evaluator:
    """Evaluate a query tree into (mask, scores) over one snapshot; scores are 0 outside the mask.

    With ranking parameters, a query word (a Word node) is scored by search.ranking's
    BM25F over title and body together; without them (params=None) every term is
    scored by Whoosh's BM25F, field by field, as Whoosh's own search scores it.
    """

    def __init__(self, snap: Snapshot, params: ranking.Params | None = None):
        self.snap = snap
        self.searcher = snap.searcher
        self.params = params

    def __call__(self, node: wq.Query) -> tuple[np.ndarray, np.ndarray]:
        snap = self.snap
        if isinstance(node, wq.Every):
            return snap.live.copy(), np.zeros(snap.size)
        if node is wq.NullQuery or isinstance(node, type(wq.NullQuery)):
            return np.zeros(snap.size, bool), np.zeros(snap.size)
        if isinstance(node, Word) and self.params is not None:
            mask, scores, _ = ranking.bm25f(snap, node.stem, self.params)
            if node.boost != 1:
                scores *= node.boost
            return mask, scores
        if isinstance(node, wq.Term) and node.fieldname in TEXT_FIELDS:
            return self._term(node)
        if isinstance(node, wq.Term) and node.fieldname in schema.FACETS:
            mask = dense(snap, snap.facets[node.fieldname].docs(str(node.text)))
            return mask, mask * node.boost
        if isinstance(node, (wq.Or, wq.And)):
            parts = [self(child) for child in node.subqueries]
            if not parts:
                return np.zeros(snap.size, bool), np.zeros(snap.size)
            combine = np.logical_or if isinstance(node, wq.Or) else np.logical_and
            mask = combine.reduce([m for m, _ in parts])
            # Every node's scores are 0 outside its mask, and each child's arrays are its own:
            # summed into the first child's in place, no array per part (at 1M articles each
            # is 8 MB, and a new one costs its pages' faults), and masked again only by an And.
            scores = parts[0][1]
            for _, part_scores in parts[1:]:
                scores += part_scores
            if node.boost != 1:
                scores *= node.boost
            if isinstance(node, wq.And):
                np.multiply(scores, mask, out=scores)
            return mask, scores
        if isinstance(node, wq.AndNot):
            (a, sa), (b, _) = self(node.a), self(node.b)
            return a & ~b, np.where(a & ~b, sa, 0.0)
        if isinstance(node, wq.Require):
            (a, sa), (b, _) = self(node.a), self(node.b)
            return a & b, np.where(a & b, sa, 0.0)
        if isinstance(node, wq.AndMaybe):
            (a, sa), (b, sb) = self(node.a), self(node.b)
            return a, np.where(a, sa + np.where(b, sb, 0.0), 0.0)
        if isinstance(node, wq.Not):
            inner, _ = self(node.query)
            return snap.live & ~inner, np.zeros(snap.size)
        if isinstance(node, wq.Phrase) and node.slop == 1 and node.fieldname in TEXT_FIELDS:
            return self._phrase(node)
        return self._whoosh(node)

    def _phrase(self, node: wq.Phrase) -> tuple[np.ndarray, np.ndarray]:
        """Match a phrase on cached positions; score it as Whoosh does, by its words' scores."""
        words = [str(word) for word in node.words]
        mask = dense(self.snap, self.snap.phrase_docs(node.fieldname, words))
        docs = np.flatnonzero(mask)
        # Its words scored in its documents alone: a common word's every posting was scored.
        found = np.zeros(len(docs))
        for word in words:
            found += self._term_scores(node.fieldname, word, docs)
        scores = np.zeros(self.snap.size)
        scores[docs] = found * node.boost
        return mask, scores

    def _bm25(self, name: str, text: str):
        """Return Whoosh's BM25F of a term (whoosh.scoring.bm25, its own idf, B, K1 and lengths) as a function."""
        # Whoosh's idf and mean length, with the frequency from the segments' saved dictionaries:
        # WEIGHTING.scorer looked the term up in every segment's, twice (~50 us each).
        df = int(self.snap.doc_frequencies(name, [text])[0])
        idf = math.log(self.searcher.doc_count_all() / (df + 1)) + 1
        avgfl = self.searcher.avg_field_length(name) or 1
        k1, b = WEIGHTING.K1, WEIGHTING._field_B.get(name, WEIGHTING.B)
        return lambda weights, lengths: idf * ((weights * (k1 + 1)) / (weights + k1 * ((1 - b) + b * lengths / avgfl)))

    def _term_scores(self, name: str, text: str, docs: np.ndarray) -> np.ndarray:
        """Return a term's scores in some documents (sorted, each holding it)."""
        if not len(docs):
            return np.zeros(0)
        return self._bm25(name, text)(self.snap.term_at(name, text, docs), self.snap.lengths[name][docs])

    def _term(self, node: wq.Term) -> tuple[np.ndarray, np.ndarray]:
        snap, name, text = self.snap, node.fieldname, str(node.text)
        ids, weights = snap.term(name, text)
        mask = np.zeros(snap.size, bool)
        scores = np.zeros(snap.size)
        if len(ids):
            mask[ids] = True
            scores[ids] = self._bm25(name, text)(weights, snap.lengths[name][ids]) * node.boost
            mask &= snap.live
        return mask, np.where(mask, scores, 0.0)

    def _whoosh(self, node: wq.Query) -> tuple[np.ndarray, np.ndarray]:
        """Score a node the arrays do not cover (a phrase) with Whoosh's matcher."""
        mask = np.zeros(self.snap.size, bool)
        scores = np.zeros(self.snap.size)
        matcher = node.matcher(self.searcher, self.searcher.context(weighting=WEIGHTING))
        while matcher.is_active():
            doc = matcher.id()
            mask[doc] = True
            scores[doc] = matcher.score()
            matcher.next()
        mask &= self.snap.live
        return mask, np.where(mask, scores, 0.0)
