"""Facet counting (search.facets): every way of counting agrees with counting the pairs one by one."""
from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from chancery.search import facets
from chancery.search.facets import FacetIndex, FacetTable, Selection

DOCS = 2003                     # not a multiple of 64: the last bitmap word is partly padding
VALUES = 60


def facet(seed: int = 3) -> FacetIndex:
    """Return a facet of random (doc, value) pairs in document order, some documents with none."""
    rng = np.random.default_rng(seed)
    per_doc = rng.integers(0, 4, DOCS)
    pair_doc = np.repeat(np.arange(DOCS), per_doc)
    # Skewed, so that counts tie and a few values dominate, as names do.
    pair_value = np.minimum(rng.zipf(1.6, len(pair_doc)) - 1, VALUES - 1).astype(np.int32)
    # A document holds a value once, as an article's list of names does.
    pairs = np.unique(pair_doc.astype(np.int64) * VALUES + pair_value)
    pair_doc, pair_value = (pairs // VALUES).astype(np.int32), (pairs % VALUES).astype(np.int32)
    live = np.ones(DOCS, bool)
    live[rng.choice(DOCS, 100, replace=False)] = False
    table = FacetTable()
    values = [f"v{i:02d}" for i in rng.permutation(VALUES)]      # numbered out of alphabetical order
    table.numbers(values)
    return FacetIndex(table.values[:], dict(table.lookup), pair_doc, pair_value, [], live, "test")


def expected_counts(index: FacetIndex, mask: np.ndarray) -> np.ndarray:
    chosen = mask & index.live
    found = Counter(int(v) for d, v in zip(index.pair_doc, index.pair_value) if chosen[d])
    return np.array([found[i] for i in range(len(index.values))])


@pytest.mark.parametrize("share", [0.0, 0.01, 0.1, 0.3, 0.5, 0.8, 0.95, 1.0])
@pytest.mark.parametrize("bitmaps", [False, True])
def test_counts_match_the_pairs_at_every_share_of_documents(share, bitmaps, monkeypatch):
    # Under 1 in 8 documents: the matches' own pairs; over 7 in 8: every live count less the
    # rest's; between: the sparse product; or, for a facet of few values, their bitmaps.
    # Each must give the same counts.
    monkeypatch.setattr(facets, "BITMAP_SECONDS", 0.0 if bitmaps else 1.0)
    index = facet()
    mask = np.random.default_rng(7).random(DOCS) < share
    assert index.counts(mask).tolist() == expected_counts(index, mask).tolist()
    assert index.counts(Selection(mask, index.live)).tolist() == expected_counts(index, mask).tolist()


@pytest.mark.parametrize("size", [1, 3, 10, 59, 60, 100])
def test_top_values_are_the_most_counted_ties_by_name(size):
    index = facet()
    counts = index.counts(np.ones(DOCS, bool))
    everything = sorted((i for i in range(VALUES) if counts[i]), key=lambda i: (-counts[i], index.values[i]))
    assert index.top(counts, size) == everything[:size]


def test_top_keeps_ties_at_the_edge_in_name_order():
    index = facet()
    counts = np.zeros(VALUES, np.int64)
    by_name = sorted(range(VALUES), key=index.values.__getitem__)
    counts[by_name[-1]] = 9                      # the last name alphabetically, counted most
    counts[by_name[10:20]] = 5                   # ten tied values, two of which fit
    assert index.top(counts, 3) == [by_name[-1], by_name[10], by_name[11]]


@pytest.mark.parametrize("share", [0.0, 0.05, 0.5, 1.0])
@pytest.mark.parametrize("listed", [False, True])
def test_histogram_counts_each_code_and_skips_minus_one(share, listed):
    rng = np.random.default_rng(11)
    live = rng.random(DOCS) < 0.9
    codes = rng.integers(-1, 12, DOCS).astype(np.int32)      # -1: an undated article
    mask = rng.random(DOCS) < share
    selection = Selection(mask, live)
    if listed:
        selection.docs              # listed by a facet before: counted through them
    found = Counter(int(c) for c in codes[mask & live] if c >= 0)
    assert selection.histogram(codes, 12).tolist() == [found[c] for c in range(12)]
