"""Facets over an index version: values numbered per process, (doc, value) pairs, counts of a result.

A facet's (document, value) pairs are kept in document order, so a result's counts
come from its own documents' pairs when it is small, from every live document's
counts less the others' when it is nearly everything, and from one sparse product
in between (search.snapshot assembles a version's facets from its segments).
"""
from __future__ import annotations

import functools
import itertools
from dataclasses import dataclass

import numpy as np
from scipy import sparse

SPARSE_SHARE = 8                # a facet is counted from the matches' own pairs under 1 in 8 documents
# A facet of at most this many values (topics, sources, countries) keeps a bitmap of its
# documents a value: counting one value over a million documents is then an AND and a
# popcount of 16,000 words (~15 us), where the sparse product went through every pair.
BITMAP_VALUES = 256
PAIR_SECONDS = 13e-9            # counting one pair of a match (measured at 1M articles)
BITMAP_SECONDS = 15e-6          # counting one value's bitmap at 1M articles
BITMAP_ROWS = 16                # bitmaps ANDed at once: a bounded temporary array


class FacetTable:
    """A process's numbering of one facet's values: append-only, so a segment's mapping stays valid.

    Values of merged-away segments keep their numbers (and count 0); the table only
    grows with the distinct values a process has seen.
    """

    def __init__(self):
        self.values: list[str] = []
        self.lookup: dict[str, int] = {}

    def numbers(self, values: list[str]) -> np.ndarray:
        """Return the numbers of values, numbering the new ones."""
        for value in values:
            if value not in self.lookup:
                self.lookup[value] = len(self.values)
                self.values.append(value)
        return np.fromiter((self.lookup[v] for v in values), np.int32, len(values))


class Selection:
    """The live documents of a mask, with what counting facets over them needs, each made once
    and shared by the facets counted over the same documents."""

    def __init__(self, mask: np.ndarray, live: np.ndarray):
        self.mask = mask & live
        self.live = live
        self.matched = int(np.count_nonzero(self.mask))

    @functools.cached_property
    def docs(self) -> np.ndarray:
        return np.flatnonzero(self.mask)

    @functools.cached_property
    def rest(self) -> np.ndarray:
        """Return the live documents outside the mask."""
        return np.flatnonzero(self.live & ~self.mask)

    @functools.cached_property
    def vector(self) -> np.ndarray:
        return self.mask.astype(np.float32)

    @functools.cached_property
    def bits(self) -> np.ndarray:
        """Return the mask as 64-bit words, as FacetIndex keeps its bitmaps."""
        padded = np.concatenate([self.mask, np.zeros(-len(self.mask) % 64, bool)])
        return np.packbits(padded, bitorder="little").view(np.uint64)

    def histogram(self, codes: np.ndarray, size: int) -> np.ndarray:
        """Count the documents of each code (0 to size - 1; -1 counts nowhere) over the selection."""
        # Through the documents' numbers when they are few or already listed, else the mask.
        chosen = codes[self.docs] if "docs" in self.__dict__ or self.matched * SPARSE_SHARE < len(self.mask) \
            else codes[self.mask]
        return np.bincount(chosen + 1, minlength=size + 1)[1:]


@dataclass
class FacetIndex:
    """One facet over the whole index: values, and (doc, value) pairs both ways."""
    values: list[str]
    lookup: dict[str, int]
    pair_doc: np.ndarray
    pair_value: np.ndarray
    segments: list                    # (SegmentData, offset) to find a value's docs segment by segment
    live: np.ndarray                  # the snapshot's live documents
    name: str = ""

    def docs(self, value: str) -> np.ndarray:
        """Return the doc numbers that hold a value (deleted ones included)."""
        if value not in self.lookup:
            return np.empty(0, np.int32)
        found = [data.facet_docs(self.name, value) + offset for data, offset in self.segments]
        return np.concatenate(found) if found else np.empty(0, np.int32)

    def counts(self, mask) -> np.ndarray:
        """Count each value over the live documents in a mask (or a Selection of them)."""
        chosen = mask if isinstance(mask, Selection) else Selection(mask, self.live)
        if len(self.values) <= BITMAP_VALUES and len(self.values) * BITMAP_SECONDS \
                < chosen.matched * PAIR_SECONDS * len(self.pair_doc) / max(len(self.live), 1):
            return self._bitmap_counts(chosen)
        if chosen.matched * SPARSE_SHARE < len(chosen.mask):
            # Few documents: only their own pairs (a query matching 1,000 of 1,000,000
            # articles looked at all 3 million person pairs).
            return self._pair_counts(chosen.docs)
        if len(chosen.rest) * SPARSE_SHARE < len(chosen.mask):
            # Nearly every document ("said"): every live document's counts, less the few others'.
            return self._live_counts() - self._pair_counts(chosen.rest)
        # Between the two: one sparse product over every pair, 4x faster than gathering the
        # mask at each pair and counting what it keeps (~25 ms a facet at 1M articles).
        return (self._matrix() @ chosen.vector).astype(np.int64)

    def _matrix(self) -> sparse.csc_matrix:
        """Return the value-by-document matrix of the pairs (in document order, so made without sorting), once."""
        found = self.__dict__.get("_csc")
        if found is None:
            found = sparse.csc_matrix((np.ones(len(self.pair_value), np.float32), self.pair_value, self._doc_ptr()),
                                      shape=(len(self.values), len(self.live)))
            self._csc = found
        return found

    def prepare(self) -> None:
        """Make what counting will need, before a version serves (its first query would wait for it)."""
        if len(self.values) <= BITMAP_VALUES:
            self._bitmaps()

    def _bitmap_counts(self, chosen: Selection) -> np.ndarray:
        """Count each value as the ones its bitmap shares with the selection's."""
        bitmaps, bits = self._bitmaps(), chosen.bits
        return np.concatenate([np.bitwise_count(bitmaps[row:row + BITMAP_ROWS] & bits).sum(axis=1, dtype=np.int64)
                               for row in range(0, len(bitmaps), BITMAP_ROWS)] or [np.zeros(0, np.int64)])

    def _bitmaps(self) -> np.ndarray:
        """Return a bitmap of each value's documents, as rows of 64-bit words, made once."""
        found = self.__dict__.get("_bits")
        if found is None:
            # The pairs grouped by value (a radix sort of small codes), then each value's documents
            # marked in one reused mask and packed: ~40 ms for 3 million pairs.
            order = np.argsort(self.pair_value.astype(np.uint8), kind="stable")
            bounds = np.searchsorted(self.pair_value[order], np.arange(len(self.values) + 1)).tolist()
            row = np.zeros((len(self.live) + 63) // 64 * 64, bool)
            found = np.zeros((len(self.values), len(row) // 64), np.uint64)
            for value, (start, end) in enumerate(zip(bounds, bounds[1:])):
                docs = self.pair_doc[order[start:end]]
                row[docs] = True
                found[value] = np.packbits(row, bitorder="little").view(np.uint64)
                row[docs] = False
            self._bits = found
        return found

    def _pair_counts(self, docs: np.ndarray) -> np.ndarray:
        """Count each value over the pairs of some documents."""
        ptr = self._doc_ptr()
        starts = ptr[docs]
        lengths = ptr[docs + 1] - starts
        ends = np.cumsum(lengths)
        pairs = np.repeat(starts - ends + lengths, lengths) + np.arange(int(ends[-1]) if len(ends) else 0)
        return np.bincount(self.pair_value[pairs], minlength=len(self.values))

    def _live_counts(self) -> np.ndarray:
        """Return each value's count over every live document, made once."""
        found = self.__dict__.get("_live_total")
        if found is None:
            found = self._live_total = np.bincount(self.pair_value[self.live[self.pair_doc]],
                                                   minlength=len(self.values))
        return found

    def _doc_ptr(self) -> np.ndarray:
        """Return where each document's pairs start (pairs are in document order), made once."""
        found = self.__dict__.get("_ptr")
        if found is None:
            found = np.zeros(len(self.live) + 1, np.int64)
            np.cumsum(np.bincount(self.pair_doc, minlength=len(self.live)), out=found[1:])
            self._ptr = found
        return found

    def ranked(self, counts: np.ndarray, found: np.ndarray | None = None):
        """Yield the values with a count (of found, when given), most first, ties in alphabetical order."""
        found = np.flatnonzero(counts > 0) if found is None else found
        found = found[np.argsort(-counts[found], kind="stable")]
        # Values are numbered in the order a process met them: sort each run of equal counts by name.
        edges = np.flatnonzero(np.diff(counts[found])) + 1
        for run in np.split(found, edges):
            yield from sorted(run.tolist(), key=self.values.__getitem__)

    def top(self, counts: np.ndarray, size: int) -> list[int]:
        """Return the first size values of ranked()."""
        found = np.flatnonzero(counts > 0)
        if len(found) > size:
            # Only the values counting at least the size-th count are sorted (ties at the edge
            # kept, to be ordered by name): a person facet has tens of thousands of values.
            edge = np.partition(counts[found], len(found) - size)[len(found) - size]
            found = found[counts[found] >= edge]
        return list(itertools.islice(self.ranked(counts, found), size))
