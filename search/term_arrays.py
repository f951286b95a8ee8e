"""A segment's term dictionary, postings and common terms' positions as arrays beside it, mapped by every worker.

Whoosh finds a term in a segment through an on-disk hash table read in Python
(~50 us a look-up), and keeps its postings in zlib-compressed, pickled blocks that
carry the positions too. At a million articles in 40 segments a 4-word query looks
up ~1,000 (segment, field, term) triples for its words, their document frequencies
and its feedback words, and a common word's postings are hundreds of blocks a
segment (bench/results/misses-1m.md). So when a large segment is written, one
array file (search.array_file) is saved beside it, for every title and body term:

- its key (a 64-bit hash of field and term; the keys sorted) and document frequency;
- where its postings start in Whoosh's postings file, and their length;
- for a term in at least FREQUENT_DOCS documents (by default every term), or whose
  postings Whoosh keeps inside its dictionary entry, the postings themselves: doc
  ids and weights, each in the narrowest type that holds them exactly (uint16 ids
  in a segment of up to 65,536 documents; a weight is a frequency times a field
  boost, mostly uint8), so 3 bytes a posting instead of 8;
- for a term in at least POSITIONS_DOCS documents, its positions too: a count per
  posting and the positions, in the narrowest types (mostly 3 bytes a position). A
  phrase of common words ("foreign minister") read them from Whoosh's blocks,
  hundreds a segment, and took most of a second at a million articles.

A worker maps the file: its pages are the page cache's, shared by the workers, read
without decoding and never counted in a worker's own memory. A term not in the
keys is not in the segment: no Whoosh look-up at all.

The file goes with its segment when it is merged away (it is named after it, as
search.segment_files' sidecars are). A segment without one is read through Whoosh
as before, so an index written by an older version still works; `chancery optimize
--arrays` saves the files for its segments.
"""
from __future__ import annotations

import contextlib
from dataclasses import dataclass

import numpy as np

from chancery.search import array_file, segment_files
from chancery.search.postings import locate_sorted, read_positions, read_postings

FIELDS = ("title", "body")
# A term in fewer documents would be read from Whoosh's blocks (one zlib call and one
# unpickling a segment) and cached. At 1 every term's postings are saved: at 3 bytes a
# posting, all of a million articles' take 590 MB, 85 MB more than those of terms in 64
# or more documents, and a 4-word query's 20 feedback words, rare ones included, are
# weighed in 300 documents of 40 segments without a block read (bench/results/misses-1m.md).
FREQUENT_DOCS = 1
# terms1: the whole dictionary. freq2 held the frequent terms' postings alone, freq1 the
# same as three .npy files: neither is read any more, and saving the new file removes them.
SUFFIX = ".terms1.arrays"
OLD_SUFFIXES = (".freq2.arrays",) + tuple(f".freq1-{part}.npy" for part in ("terms", "ids", "weights"))
# A term in fewer documents has its positions read from Whoosh's blocks (a few a segment).
POSITIONS_DOCS = 1024
_TYPES = {"keys": np.uint64, "df": np.int32, "offsets": np.int64, "lengths": np.int64, "ends": np.int64}
_POSITION_ENDS = ("count_ends", "position_ends")        # per term, like ends: none saved when equal
ID_TYPES = (np.uint16, np.int32)
WEIGHT_TYPES = (np.uint8, np.uint16, np.float32)
COUNT_TYPES = (np.uint8, np.uint16, np.int32)
POSITION_TYPES = (np.uint16, np.int32)


def narrowest(values: np.ndarray, types: tuple) -> np.ndarray:
    """Return values in the first of some types that holds each of them exactly."""
    for dtype in types:
        converted = values.astype(dtype)
        if np.array_equal(converted, values):
            return converted
    raise ValueError(f"no type of {types} holds the values")


def term_key(fieldname: str, text: str) -> int:
    """Return the 64-bit key of a field's term (a collision among a segment's terms is ~1 in 10^11)."""
    return segment_files.hash64(f"{fieldname}\0{text}".encode("utf-8", "surrogatepass"))


@dataclass(frozen=True)
class Entry:
    """One term of a segment: its document frequency, and its postings or where Whoosh keeps them."""
    df: int
    postings: tuple[np.ndarray, np.ndarray] | None     # (ids, weights) when saved
    extent: tuple[int, int] | None                     # (offset, length) in the postings file otherwise
    positions: tuple[np.ndarray, np.ndarray] | None = None     # (count per posting, positions) when saved

    def rows(self, wanted: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Return the saved (doc, position) rows (int32) of the term, or of its wanted (sorted) docs only."""
        ids, (counts, positions) = self.postings[0], self.positions
        if wanted is None:
            return np.repeat(ids.astype(np.int32), counts), positions.astype(np.int32)
        # Local doc numbers fit the ids' type (chosen by the segment's size): compared without a copy.
        at, held = locate_sorted(wanted.astype(ids.dtype, copy=False), ids)
        chosen = at[held]
        counts = counts.astype(np.int64)
        starts = (np.cumsum(counts) - counts)[chosen]
        taken = counts[chosen]
        # Each chosen posting's run of positions, gathered at once.
        offsets = np.repeat(starts - (np.cumsum(taken) - taken), taken) + np.arange(int(taken.sum()))
        return np.repeat(ids[chosen].astype(np.int32), taken), positions[offsets].astype(np.int32)


@dataclass(frozen=True, eq=False)
class Terms:
    """A segment's sorted term keys, with per-term frequencies, extents and saved postings."""
    keys: np.ndarray
    df: np.ndarray
    offsets: np.ndarray
    lengths: np.ndarray
    ptr: np.ndarray                     # a term's saved postings: ids[ptr[i]:ptr[i + 1]]
    ids: np.ndarray
    weights: np.ndarray
    count_ptr: np.ndarray = None        # a term's saved counts: counts[count_ptr[i]:count_ptr[i + 1]]
    position_ptr: np.ndarray = None     # and positions: positions[position_ptr[i]:position_ptr[i + 1]]
    counts: np.ndarray = None
    positions: np.ndarray = None

    @property
    def known(self) -> bool:
        """Return whether the segment's dictionary was saved (else every term is asked of Whoosh)."""
        return self is not NONE

    def find(self, key: int, positions: bool = False) -> Entry | None:
        """Return a term's entry by its key (with its positions when asked), None when the segment lacks it."""
        # Called for each segment of each word and feedback word: kept to the fewest numpy calls.
        at = self.place(key)
        if at < 0:
            return None
        postings = self.postings(at)
        offset = int(self.offsets[at])
        return Entry(int(self.df[at]), postings, (offset, int(self.lengths[at])) if offset >= 0 else None,
                     self._positions(at, len(postings[0])) if positions and postings else None)

    def place(self, key: int) -> int:
        """Return where a key is among the segment's terms, -1 when it is not there."""
        keys = self.keys
        at = int(keys.searchsorted(np.uint64(key)))
        return at if at < len(keys) and int(keys[at]) == key else -1

    def locate(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Return where some keys are among the segment's terms, and whether they are there."""
        if not len(self.keys):
            return np.zeros(len(keys), np.int64), np.zeros(len(keys), bool)
        return locate_sorted(keys, self.keys)

    def postings(self, at: int) -> tuple[np.ndarray, np.ndarray] | None:
        """Return the saved (ids, weights) of the term at a place in the keys, None when not saved."""
        start, end = self.ptr[at:at + 2].tolist()
        return (self.ids[start:end], self.weights[start:end]) if end > start else None

    def _positions(self, at: int, postings: int) -> tuple[np.ndarray, np.ndarray] | None:
        if self.counts is None:
            return None
        counts = self.counts[int(self.count_ptr[at]):int(self.count_ptr[at + 1])]
        positions = self.positions[int(self.position_ptr[at]):int(self.position_ptr[at + 1])]
        # A count a posting, and as many positions as they say: else read from Whoosh's blocks.
        if len(counts) != postings or int(counts.sum(dtype=np.int64)) != len(positions):
            return None
        return counts, positions

    def weights_at(self, at: np.ndarray, local: np.ndarray) -> np.ndarray:
        """Return the saved weights of the terms at some places in the keys in some local documents
        (sorted, in the ids' type), a row a term, 0 where a document lacks the term."""
        ids, starts, ends = self.ids, self.ptr[at], self.ptr[at + 1]
        # One binary search a term, in its own postings; the rest at once for every term.
        found = np.array([ids[start:end].searchsorted(local) + start
                          for start, end in zip(starts.tolist(), ends.tolist())], np.int64).reshape(len(at), len(local))
        # Only terms with saved postings are asked for, so the ids are not empty when any is.
        inside = np.minimum(found, len(ids) - 1)
        return np.where((found < ends[:, None]) & (ids[inside] == local), self.weights[inside], 0)

    def doc_frequencies(self, keys: np.ndarray) -> np.ndarray:
        """Return the document frequencies of some keys (0 for a term the segment does not hold)."""
        at, held = self.locate(keys)
        return np.where(held, self.df[at] if len(self.df) else 0, 0).astype(np.int64)


NONE = Terms(*(np.zeros(0, _TYPES[name]) for name in ("keys", "df", "offsets", "lengths")),
             np.zeros(1, np.int64), np.zeros(0, np.uint16), np.zeros(0, np.uint8))


def _positions(reader, fieldname: str, text: str, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """Return a term's (count per posting, positions) in their narrowest types, None unless they match its ids."""
    docs, positions = read_positions(reader, fieldname, text)
    counts = np.bincount(np.searchsorted(ids, docs), minlength=len(ids))
    if len(counts) != len(ids) or not np.array_equal(np.repeat(ids, counts), docs):
        return None
    return narrowest(counts, COUNT_TYPES), narrowest(positions, POSITION_TYPES)


def _entries(reader):
    """Yield (key, df, offset, length, saved postings or None, saved positions or None) of a segment's
    title and body terms."""
    for fieldname in FIELDS:
        if fieldname not in reader.schema:
            continue
        for text, info in reader.iter_field(fieldname):
            text = text.decode("utf-8") if isinstance(text, bytes) else text
            inlined = info.is_inlined()
            offset, length = (-1, 0) if inlined else info.extent()
            if isinstance(length, tuple):       # whoosh-ng reads the length back as struct.unpack's tuple
                (length,) = length
            saved = inlined or info.doc_frequency() >= FREQUENT_DOCS
            postings = read_postings(reader, fieldname, text) if saved else None
            positions = _positions(reader, fieldname, text, postings[0]) \
                if saved and info.doc_frequency() >= POSITIONS_DOCS else None
            yield term_key(fieldname, text), info.doc_frequency(), offset, length, postings, positions


def save(reader) -> bool:
    """Save a segment's term arrays beside it; return whether they were saved now."""
    path = segment_files.sidecar_path(reader, SUFFIX)
    if path is None or path.exists() or reader.doc_count_all() < FREQUENT_DOCS:
        return False
    rows = sorted(_entries(reader), key=lambda row: row[0])
    empty = (NONE.ids, NONE.weights)
    saved = [row[4] or empty for row in rows]
    no_positions = (np.zeros(0, np.uint8), np.zeros(0, np.uint16))
    positions = [row[5] or no_positions for row in rows]
    # uint16 ids only where every local doc number fits: readers compare theirs in the ids' type.
    id_types = ID_TYPES if reader.doc_count_all() <= 2**16 else (np.int32,)
    arrays = {"keys": np.array([row[0] for row in rows], np.uint64),
              **{name: np.array([row[i] for row in rows], _TYPES[name])
                 for i, name in ((1, "df"), (2, "offsets"), (3, "lengths"))},
              "ends": np.cumsum(np.array([len(ids) for ids, _ in saved], np.int64)),
              "ids": narrowest(np.concatenate([ids for ids, _ in saved] or [empty[0]]), id_types),
              "weights": narrowest(np.concatenate([weights for _, weights in saved] or [empty[1]]), WEIGHT_TYPES),
              "count_ends": np.cumsum(np.array([len(counts) for counts, _ in positions], np.int64)),
              "position_ends": np.cumsum(np.array([len(found) for _, found in positions], np.int64)),
              "counts": narrowest(np.concatenate([c for c, _ in positions] or [no_positions[0]]), COUNT_TYPES),
              "positions": narrowest(np.concatenate([p for _, p in positions] or [no_positions[1]]),
                                     POSITION_TYPES)}
    if not segment_files.save_arrays(path, arrays):
        return False
    for suffix in OLD_SUFFIXES:         # replaced: the old formats' files are no longer read
        old = segment_files.sidecar_path(reader, suffix)
        with contextlib.suppress(OSError):
            old.unlink(missing_ok=True)
    return True


def load(reader) -> Terms:
    """Return a segment's term arrays, mapped; none when they were not saved or cannot be read."""
    path = segment_files.sidecar_path(reader, SUFFIX)
    if path is None or not path.exists():
        return NONE
    try:
        arrays = array_file.read(path)
        found = {name: arrays[name] for name in (*_TYPES, "ids", "weights")}
    except (OSError, ValueError, KeyError):
        return NONE
    keys, ends = found["keys"], found["ends"]
    if any(found[name].dtype != dtype for name, dtype in _TYPES.items()) \
            or found["ids"].dtype not in ID_TYPES or found["weights"].dtype not in WEIGHT_TYPES \
            or any(array.ndim != 1 for array in found.values()) \
            or any(len(found[name]) != len(keys) for name in ("df", "offsets", "lengths", "ends")) \
            or len(found["ids"]) != len(found["weights"]) or (len(ends) and ends[-1] != len(found["ids"])):
        return NONE                     # not what save writes: read the segment through Whoosh instead
    if found["ids"].dtype == np.uint16 and reader.doc_count_all() > 2**16:
        return NONE
    return Terms(keys, found["df"], found["offsets"], found["lengths"], np.concatenate([[0], ends]),
                 found["ids"], found["weights"], *_positions_arrays(arrays, len(keys)))


def _positions_arrays(arrays: dict, terms: int) -> tuple:
    """Return (count_ptr, position_ptr, counts, positions) of a loaded file, all None when it has none that fit."""
    try:
        ends = [arrays[name] for name in _POSITION_ENDS]
        counts, positions = arrays["counts"], arrays["positions"]
    except KeyError:
        return None, None, None, None       # saved before positions were
    if any(e.dtype != np.int64 or e.ndim != 1 or len(e) != terms or (terms and np.any(np.diff(e) < 0))
           for e in ends) or counts.dtype not in COUNT_TYPES or positions.dtype not in POSITION_TYPES \
            or (terms and (ends[0][-1] != len(counts) or ends[1][-1] != len(positions))):
        return None, None, None, None
    return np.concatenate([[0], ends[0]]), np.concatenate([[0], ends[1]]), counts, positions
