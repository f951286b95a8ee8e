"""The text similarity of linking: idf-weighted cosines of an article's lead terms against many candidates at once.

In a dense archive an article is compared with hundreds of candidates. Computed a
pair at a time in Python, with an idf looked up per term, the cosines were 70% of
linking and linking the main process's bound at a million articles (72 articles a
second). Here terms get integer ids, their document frequencies live in arrays, and
all of a link's cosines are a few numpy operations.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from chancery.search import event_index, segment_files
from chancery.search.postings import in_sorted

FREQUENCY_FIELD = "body"
IDF_PRIOR = 100         # documents added to the total, so the first articles weigh no word at zero
_START = 1024


class TermTable:
    """Term ids with their committed document frequencies (read from the index once) and this batch's."""

    def __init__(self):
        self.ids: dict[str, int] = {}
        self.terms: list[str] = []
        self.committed = np.full(_START, -1, np.int64)          # -1: not read from the index yet
        self.batch = np.zeros(_START, np.int64)

    def forget_committed(self) -> None:
        """Read committed frequencies again (the index has grown since they were read)."""
        self.committed[:] = -1

    def new_batch(self) -> None:
        self.batch[:] = 0

    def of(self, record) -> np.ndarray:
        """Return the term ids of a record's terms (kept on the record for this table)."""
        found = record.__dict__.get("_term_ids")
        if found is None or found[0] is not self:
            # dict.get through map, a Python call only for a term not named yet: a dense
            # archive maps ~40 terms of ~200 candidates an article.
            ids = list(map(self.ids.get, record.terms))
            if None in ids:
                ids = [self._id(term) if known is None else known for term, known in zip(record.terms, ids)]
            found = (self, np.array(ids, np.int64))
            record._term_ids = found
        return found[1]

    def count(self, record) -> None:
        """Count a record's terms (distinct within it) in this batch's frequencies."""
        ids = self.of(record)           # first: naming new terms may replace the arrays
        self.batch[ids] += 1

    def weights(self, ids: np.ndarray, total: int, frequencies) -> np.ndarray:
        """Return the squared idf of term ids, reading unknown committed frequencies with frequencies(terms)."""
        unknown = self.committed[ids] < 0
        if unknown.any():
            new = np.unique(ids[unknown])
            self.committed[new] = frequencies([self.terms[term_id] for term_id in new.tolist()])
        idf = np.log((total + IDF_PRIOR) / (self.committed[ids] + self.batch[ids] + 1))
        return idf * idf

    def _id(self, term: str) -> int:
        found = self.ids.get(term)
        if found is None:
            found = self.ids[term] = len(self.terms)
            self.terms.append(term)
            if found >= len(self.committed):
                grow = len(self.committed)
                self.committed = np.concatenate([self.committed, np.full(grow, -1, np.int64)])
                self.batch = np.concatenate([self.batch, np.zeros(grow, np.int64)])
        return found


def cosines(own: np.ndarray, others: list[np.ndarray], weigh) -> np.ndarray:
    """Return the weighted cosine of term ids own against each of others (distinct ids in each).

    weigh(ids) gives each id's weight; a pair without a shared term, or with no
    weight, scores 0.
    """
    count = len(others)
    if not count or not len(own):
        return np.zeros(count)
    lengths = np.fromiter(map(len, others), np.int64, count)
    flat = np.concatenate(others) if lengths.sum() else np.empty(0, np.int64)
    row = np.repeat(np.arange(count), lengths)
    weights = weigh(np.concatenate([own, flat]))
    own_norm, flat_weights = weights[:len(own)].sum(), weights[len(own):]
    norms = np.bincount(row, weights=flat_weights, minlength=count)
    shared = np.bincount(row, weights=np.where(in_sorted(flat, np.sort(own)), flat_weights, 0.0), minlength=count)
    denominator = np.sqrt(own_norm * norms)
    return np.divide(shared, denominator, out=np.zeros(count), where=denominator > 0)


@dataclass
class Frequencies:
    """One segment's document frequencies of a field's terms, by term hash (sorted)."""
    hashes: np.ndarray
    counts: np.ndarray

    @property
    def nbytes(self) -> int:
        return self.hashes.nbytes + self.counts.nbytes


def _term_table(segment_reader) -> np.ndarray:
    terms = segment_reader.iter_field(FREQUENCY_FIELD)
    pairs = [(segment_files.hash64(text), info.doc_frequency()) for text, info in terms]
    table = np.array(pairs, np.uint64).reshape(-1, 2)
    return table[np.argsort(table[:, 0], kind="stable")]


def _frequencies(segment_reader) -> Frequencies:
    # Saved beside the segment: a small write into a large index reads 40 of these, not 40 term lists.
    table = segment_files.segment_array(segment_reader, "df-body", _term_table, per_document=False)
    return Frequencies(np.ascontiguousarray(table[:, 0]), table[:, 1].astype(np.int64))


FREQUENCIES = event_index.SegmentCache(_frequencies)


def doc_frequencies(reader, terms: list[str]) -> np.ndarray:
    """Return the committed document frequency of each body term, a numpy search a segment.

    Whoosh's doc_frequency asks every segment's term file for each term (18 us a
    segment): at a million articles, 40 segments, a link's new terms cost ~10 ms.
    """
    hashes = np.fromiter((segment_files.hash64(term.encode("utf-8")) for term in terms), np.uint64, len(terms))
    total = np.zeros(len(terms), np.int64)
    for segment_reader, _ in reader.leaf_readers():
        table = FREQUENCIES.tables(segment_reader)
        if not len(table.hashes):
            continue
        at = np.minimum(np.searchsorted(table.hashes, hashes), len(table.hashes) - 1)
        found = table.hashes[at] == hashes
        total[found] += table.counts[at[found]]
    return total
