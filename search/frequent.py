"""Frequent terms' postings as arrays beside their segment, mapped and shared by every worker.

Whoosh keeps a term's postings in zlib-compressed, pickled blocks that carry the
positions too. At a million articles a common word's postings are hundreds of
blocks a segment, and a fresh worker spent most of its cold search time in
zlib.decompress and pickle.loads (bench/results/misses-1m.md). So when a large
segment is written, the postings of every title and body term in at least
FREQUENT_DOCS of its documents are saved beside it in one array file
(search.array_file): doc ids (int32) and weights (float32) of all those terms, and
the term keys (a 64-bit hash of field and term, sorted) with each term's end. A
worker maps the file: its pages are the page cache's, shared by the workers, read
without decoding and never counted in a worker's own memory.

The file goes with its segment when it is merged away (it is named after it, as
search.segment_files' sidecars are). A segment without one is read from Whoosh's
blocks as before, so an index written by an older version still works;
`chancery optimize --arrays` saves the files for its segments.
"""
from __future__ import annotations

import contextlib
from dataclasses import dataclass

import numpy as np

from chancery.search import array_file, segment_files
from chancery.search.postings import read_postings

FIELDS = ("title", "body")
# Above one Whoosh block (search.indexer.BLOCK_POSTINGS): a term in fewer documents is
# read by one zlib call and one unpickling, no slower than from the arrays.
FREQUENT_DOCS = 1024
# 2: one mapped array file. 1 was three .npy files, no longer read: `chancery optimize --arrays`
# saves the new file for an index that has the old ones, and removes those.
SUFFIX = ".freq2.arrays"
OLD_SUFFIXES = tuple(f".freq1-{part}.npy" for part in ("terms", "ids", "weights"))


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


def save(reader) -> bool:
    """Save a segment's frequent postings beside it; return whether they were saved now."""
    path = segment_files.sidecar_path(reader, SUFFIX)
    if path is None or path.exists() or reader.doc_count_all() < FREQUENT_DOCS:
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
    arrays = {"keys": keys[order],
              "ends": np.cumsum(np.array([len(part) for part in ids], np.int64)[order]),
              "ids": np.concatenate([ids[i] for i in order]).astype(np.int32) if len(keys) else NONE.ids,
              "weights": np.concatenate([weights[i] for i in order]).astype(np.float32) if len(keys)
              else NONE.weights}
    if not segment_files.save_arrays(path, arrays):
        return False
    for suffix in OLD_SUFFIXES:         # replaced: the old format's files are no longer read
        old = segment_files.sidecar_path(reader, suffix)
        with contextlib.suppress(OSError):
            old.unlink(missing_ok=True)
    return True


def load(reader) -> Frequent:
    """Return a segment's frequent postings, mapped; none when they were not saved or cannot be read."""
    path = segment_files.sidecar_path(reader, SUFFIX)
    if path is None or not path.exists():
        return NONE
    try:
        arrays = array_file.read(path)
        keys, ends, ids, weights = (arrays[name] for name in ("keys", "ends", "ids", "weights"))
    except (OSError, ValueError, KeyError):
        return NONE
    if keys.dtype != np.uint64 or ends.dtype != np.int64 or ids.dtype != np.int32 or weights.dtype != np.float32 \
            or len(keys) != len(ends) or len(ids) != len(weights) or (len(ends) and ends[-1] != len(ids)):
        return NONE                     # not what save writes: read the segment's blocks instead
    return Frequent(keys, np.concatenate([[0], ends]), ids, weights)
