"""A posting pool for Whoosh's segment writer that keeps postings in columns and sorts them by term id.

Whoosh's PostingPool keeps every posting as a tuple (~215 bytes), sorts them all
as tuples when the segment is written and, past its memory limit, writes sorted
runs to disk one marshal call a posting and merges them back in Python: 40% of a
writer process's time in a 1M import. Here a posting is a term id, a document, a
weight and its value in four columns (~65 bytes), and the sort is numpy's over
term ranks: only the distinct terms are compared as Python values. A writer
numbers documents in the order it adds them, so a stable sort leaves each term's
documents in order; postings that came otherwise (a merge) are sorted by document
too. Past the limit the pool still writes sorted runs, which Whoosh's code merges,
so memory stays bounded (an optimise of a large index goes through here too).
"""
from __future__ import annotations

from array import array

import numpy as np
from whoosh.writing.posting_pool import PostingPool

# What a posting and a term cost in memory here, their bytes aside: the estimate
# checked against the limit (four columns, the value's bytes object; the term's key).
POSTING_BYTES = 4 + 4 + 8 + 8 + 33
TERM_BYTES = 200


class TermPool(PostingPool):
    """Postings as columns: term id, document, weight, value."""

    def __init__(self, tempstore, segment, limitmb=128, **kwargs):
        super().__init__(tempstore, segment, limitmb=limitmb, **kwargs)
        self._clear()

    def _clear(self) -> None:
        self.ids: dict[tuple[str, bytes], int] = {}
        self.term, self.docs, self.weights, self.values = array("i"), array("i"), array("d"), []
        self.currentsize = 0

    def add(self, item):
        fieldname, tbytes, docnum, weight, vbytes = item
        ids = self.ids
        count = len(ids)
        term = ids.setdefault((fieldname, tbytes), count)
        if term == count:
            self.fieldnames.add(fieldname)
            self.currentsize += TERM_BYTES + len(tbytes)
        self.term.append(term)
        self.docs.append(docnum)
        self.weights.append(weight)
        self.values.append(vbytes)
        self.currentsize += POSTING_BYTES + (len(vbytes) if vbytes else 0)
        if self.currentsize > self.limit:
            self.save()

    def _sorted(self):
        """Yield the pool's postings as Whoosh's tuples, in order, and empty it."""
        keys, term, docs, weights, values = list(self.ids), self.term, self.docs, self.weights, self.values
        self._clear()
        if not keys:
            return
        rank = np.empty(len(keys), np.int64)
        rank[sorted(range(len(keys)), key=keys.__getitem__)] = np.arange(len(keys))
        ranks, numbers = rank[np.frombuffer(term, np.int32)], np.frombuffer(docs, np.int32)
        order = np.argsort(ranks, kind="stable")
        same_term = ranks[order][1:] == ranks[order][:-1]
        if (numbers[order][1:] < numbers[order][:-1])[same_term].any():
            order = np.lexsort((numbers, ranks))
        for i in order.tolist():
            fieldname, tbytes = keys[term[i]]
            yield fieldname, tbytes, docs[i], weights[i], values[i]

    def save(self):
        """Write the postings held in memory to a sorted run on disk."""
        if self.ids:
            path, f = self._new_run()
            self._write_run(f, self._sorted())
            self._add_run(path)
        self.currentsize = 0

    def items(self, maxfiles=128):
        if not self.runs:
            return self._sorted()
        return super().items(maxfiles)      # saves what is left and merges the runs
