"""Frequent terms' postings as arrays beside their segment, mapped and shared by every worker.

Whoosh keeps a term's postings in zlib-compressed, pickled blocks that carry the
positions too. At a million articles a common word's postings are hundreds of
blocks a segment, and a fresh worker spent most of its cold search time in
zlib.decompress and pickle.loads (bench/results/misses-1m.md). So when a large
segment is written, the postings of every title and body term in at least
FREQUENT_DOCS of its documents are saved beside it: doc ids (int32) and weights
(float32) of all those terms in two files, and a table of term keys (a 64-bit
hash of field and term, sorted) with each term's offset. A worker maps the two
files (np.load with mmap_mode): their pages are the page cache's, shared by the
workers, read without decoding and never counted in a worker's own memory.

The files go with their segment when it is merged away (they are named after it,
as search.segment_files' sidecars are). A segment without them is read from
Whoosh's blocks as before, so an index written by an older version still works;
`chancery optimize --arrays` saves them for its segments.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from chancery.search import segment_files
from chancery.search.postings import read_postings

FIELDS = ("title", "body")
# Above one Whoosh block (search.indexer.BLOCK_POSTINGS): a term in fewer documents is
# read by one zlib call and one unpickling, no slower than from the arrays.
FREQUENT_DOCS = 1024
SUFFIX = ".freq1"
PARTS = ("terms", "ids", "weights")     # the terms file last: written whole, it says the others are


def term_key(fieldname: str, text: str) -> int:
    """Return the 64-bit key of a field's term (a collision among a segment's terms is ~1 in 10^11)."""
    return segment_files.hash64(f"{fieldname}\0{text}".encode("utf-8", "surrogatepass"))


@dataclass(frozen=True, eq=False)
class Frequent:
    """A segment's frequent terms: sorted keys, offsets, and the mapped ids and weights."""
    keys: np.ndarray
    ptr: np.ndarray
    ids: np.ndarray
    weights: np.ndarray

    def get(self, fieldname: str, text: str) -> tuple[np.ndarray, np.ndarray] | None:
        """Return a term's (ids, weights) views, None when it is not among the frequent terms."""
        if not len(self.keys):
            return None
        key = np.uint64(term_key(fieldname, text))
        at = int(np.searchsorted(self.keys, key))
        if at == len(self.keys) or self.keys[at] != key:
            return None
        start, end = int(self.ptr[at]), int(self.ptr[at + 1])
        return self.ids[start:end], self.weights[start:end]


NONE = Frequent(np.zeros(0, np.uint64), np.zeros(1, np.int64), np.zeros(0, np.int32), np.zeros(0, np.float32))


def _paths(reader) -> dict | None:
    paths = {part: segment_files.sidecar_path(reader, f"{SUFFIX}-{part}.npy") for part in PARTS}
    return None if None in paths.values() else paths


def save(reader) -> bool:
    """Save a segment's frequent postings beside it; return whether they were saved now."""
    paths = _paths(reader)
    if paths is None or paths["terms"].exists() or reader.doc_count_all() < FREQUENT_DOCS:
        return False
    keys, ids, weights = [], [], []
    for fieldname in FIELDS:
        if fieldname not in reader.schema:
            continue
        for text, info in reader.iter_field(fieldname):
            if info.doc_frequency() < FREQUENT_DOCS:
                continue
            text = text.decode("utf-8") if isinstance(text, bytes) else text
            found_ids, found_weights = read_postings(reader, fieldname, text)
            keys.append(term_key(fieldname, text))
            ids.append(found_ids)
            weights.append(found_weights)
    keys = np.array(keys, np.uint64)
    order = np.argsort(keys, kind="stable")
    ends = np.cumsum(np.array([len(part) for part in ids], np.int64)[order]).astype(np.uint64)
    arrays = {"ids": np.concatenate([ids[i] for i in order]).astype(np.int32) if len(keys) else NONE.ids,
              "weights": np.concatenate([weights[i] for i in order]).astype(np.float32) if len(keys)
              else NONE.weights,
              "terms": np.column_stack([keys[order], ends])}
    for part in PARTS:
        if not segment_files.save_array(paths[part], arrays[part]):
            return False
    return True


def load(reader) -> Frequent:
    """Return a segment's frequent postings, mapped; none when they were not saved or cannot be read."""
    paths = _paths(reader)
    if paths is None or not paths["terms"].exists():
        return NONE
    try:
        table = np.load(paths["terms"], allow_pickle=False)
        ids = np.load(paths["ids"], mmap_mode="r", allow_pickle=False)
        weights = np.load(paths["weights"], mmap_mode="r", allow_pickle=False)
    except (OSError, ValueError):
        return NONE
    ends = table[:, 1].astype(np.int64) if table.ndim == 2 and table.shape[1] == 2 else None
    if ends is None or ids.dtype != np.int32 or weights.dtype != np.float32 or len(ids) != len(weights) \
            or (len(ends) and ends[-1] != len(ids)):
        return NONE                     # not what save writes: read the segment's blocks instead
    return Frequent(np.ascontiguousarray(table[:, 0]), np.concatenate([[0], ends]), ids, weights)
