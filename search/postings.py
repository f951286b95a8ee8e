"""Read one segment's postings of a term into numpy arrays, a block at a time.

Whoosh's matcher yields a posting at a time; a phrase's positions decoded that way
cost ~50 ms a common term at 100,000 articles. Its on-disk blocks already hold the
ids and the encoded values of up to 128 postings: they are taken whole, and the
positions of a block are decoded from one buffer by numpy.
"""
from __future__ import annotations

import numpy as np
from whoosh import formats
from whoosh.codec.whoosh3 import W3LeafMatcher
from whoosh.matching.wrappers import FilterMatcher
from whoosh.reading import TermNotFound

_HEADER = 4                     # Whoosh's Positions value opens with a big-endian uint32 count
_EMPTY = (np.empty(0, np.int64), np.empty(0, np.int64))


def locate_sorted(values: np.ndarray, ordered: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return where each value is in a sorted (non-empty) array, and whether it is there, by binary search."""
    at = np.minimum(np.searchsorted(ordered, values), len(ordered) - 1)
    return at, ordered[at] == values


def in_sorted(values: np.ndarray, ordered: np.ndarray) -> np.ndarray:
    """Return which values are in a sorted array, by binary search (np.isin sorts both sides)."""
    if not len(ordered):
        return np.zeros(len(values), bool)
    return locate_sorted(values, ordered)[1]


def intersect_sorted(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Return the values of two sorted arrays of distinct values that are in both, sorted."""
    small, big = (a, b) if len(a) <= len(b) else (b, a)
    return small[in_sorted(small, big)]


def distinct_sorted(values: np.ndarray) -> np.ndarray:
    """Return the distinct values of a sorted array."""
    if not len(values):
        return values
    return values[np.concatenate(([True], values[1:] != values[:-1]))]


def _on_disk(matcher) -> bool:
    return hasattr(matcher, "_read_ids") and hasattr(matcher, "_next_block")


def _block_ids(matcher) -> np.ndarray:
    """Return the current block's doc ids from its delta coding, by numpy (Whoosh decodes one by one)."""
    if matcher._data is None:
        matcher._read_data()
    return np.cumsum(np.asarray(matcher._data[0], np.int64))


def _blocks(matcher, wanted: np.ndarray | None = None):
    """Yield each block's (ids, values) of an on-disk matcher.

    With wanted (sorted doc ids), only those documents' postings, and a block none of
    them can be in is passed by its header alone.
    """
    at = 0
    while matcher.is_active():
        if wanted is not None:
            if at == len(wanted):
                return
            if matcher.block_max_id() < wanted[at]:
                matcher._next_block()
                continue
        ids = _block_ids(matcher)[matcher._i:]
        matcher._read_values()
        found = matcher._values[matcher._i:]
        if wanted is not None:
            end = int(np.searchsorted(wanted, matcher.block_max_id(), "right"))
            kept = np.flatnonzero(in_sorted(ids, wanted[at:end]))
            ids, found = ids[kept], [found[i] for i in kept]
            at = end
        yield ids, found
        matcher._next_block()


def _extent_matcher(reader, fieldname: str, text: str, extent: tuple[int, int]):
    """Return the matcher of postings at a known place in a segment's postings file, None when they are not there."""
    terms = getattr(reader, "_terms", None)
    postfile = getattr(terms, "_postfile", None)
    if postfile is None or fieldname not in reader.schema:
        return None
    try:
        return W3LeafMatcher(postfile, extent[0], extent[1], reader.schema[fieldname].format,
                             term=(fieldname, reader._text_to_bytes(fieldname, text)))
    except Exception:           # Whoosh raises a bare Exception for a block that is not one
        return None


def _matcher(reader, fieldname: str, text: str, extent: tuple[int, int] | None = None):
    """Return a term's matcher over every document of a segment, deleted ones included; None when absent.

    With extent (where search.term_arrays saw the postings start, and their length),
    the term is not looked up in Whoosh's dictionary (~50 us).

    Whoosh wraps the matcher of a segment with deletions in a FilterMatcher, which
    hides its blocks (every such segment was read a posting at a time) and decodes its
    first block's ids in Python when made: at 1M articles, 23% of the benchmark's cold
    search time went to making matchers. The terms reader's own matcher is taken
    instead, after one look-up of the term. Callers mask deleted documents with the
    snapshot's live array.
    """
    if extent is not None:
        matcher = _extent_matcher(reader, fieldname, text, extent)
        if matcher is not None:
            return matcher
    terms = getattr(reader, "_terms", None)
    if terms is not None and hasattr(terms, "matcher") and fieldname in reader.schema:
        try:
            return terms.matcher(fieldname, reader._text_to_bytes(fieldname, text), reader.schema[fieldname].format)
        except (KeyError, TermNotFound):
            return None
    if (fieldname, text) not in reader:
        return None
    matcher = reader.postings(fieldname, text)
    while type(matcher) is FilterMatcher and _on_disk(matcher.child):
        matcher = matcher.child
    return matcher


def _block_ids_weights(matcher):
    """Yield each block's (ids, weights) as arrays."""
    while matcher.is_active():
        ids, weights = _block_ids(matcher), matcher._data[1]
        if weights is None or isinstance(weights, float):
            weights = np.full(len(ids), 1.0 if weights is None else weights)
        yield ids[matcher._i:], np.asarray(weights, np.float32)[matcher._i:]
        matcher._next_block()


def read_postings(reader, fieldname: str, text: str, extent: tuple[int, int] | None = None
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Return one segment's (doc ids, weights) for a term, deleted documents included.

    Weights are float32: a frequency times a field boost of 1 or 2 is exact in it, and a
    cached posting takes 8 bytes instead of 12.
    """
    matcher = _matcher(reader, fieldname, text, extent)
    if matcher is None:
        return np.empty(0, np.int32), np.empty(0, np.float32)
    if _on_disk(matcher) and not matcher._byteids:
        parts = list(_block_ids_weights(matcher))
        return (np.concatenate([p[0] for p in parts]).astype(np.int32),
                np.concatenate([p[1] for p in parts]).astype(np.float32))
    ids, weights = [], []
    while matcher.is_active():
        ids.append(matcher.id())
        weights.append(matcher.weight())
        matcher.next()
    return np.asarray(ids, np.int32), np.asarray(weights, np.float32)


def decode_positions(ids, values) -> tuple[np.ndarray, np.ndarray]:
    """Decode Whoosh Positions values (count, then delta varints) of docs into (doc, position) rows.

    Raises ValueError unless every value is exactly its count of varints: the rule
    search.whoosh_fixes reads values by (anything else is Whoosh's older format).
    """
    if not len(values):
        return _EMPTY
    lengths = np.fromiter(map(len, values), np.int64, len(values))
    if lengths.min() < _HEADER:
        raise ValueError("a positions value shorter than its count")
    buf = np.frombuffer(b"".join(values), np.uint8)
    starts = np.cumsum(lengths) - lengths
    header = starts[:, None] + np.arange(_HEADER)
    head = buf[header].astype(np.int64)
    counts = (head[:, 0] << 24) | (head[:, 1] << 16) | (head[:, 2] << 8) | head[:, 3]
    body = np.ones(len(buf), bool)
    body[header.ravel()] = False
    data = buf[body]
    last = data < 0x80                                  # the last byte of each varint
    owner = np.repeat(np.arange(len(values)), lengths - _HEADER)
    closed = (lengths == _HEADER) | (buf[starts + lengths - 1] < 0x80)
    if not closed.all() or not np.array_equal(np.bincount(owner[last], minlength=len(values)), counts):
        raise ValueError("a positions value is not exactly its count of varints")
    ends = np.flatnonzero(last)
    first = np.concatenate(([0], ends[:-1] + 1))
    group = np.repeat(np.arange(len(ends)), ends - first + 1)
    shift = (np.arange(len(data)) - first[group]) * 7
    deltas = np.add.reduceat((data & 0x7F).astype(np.int64) << shift, first) if len(data) else data.astype(np.int64)
    total = np.cumsum(deltas)
    kept = counts > 0
    opening = (np.cumsum(counts) - counts)[kept]
    base = np.repeat(total[opening] - deltas[opening], counts[kept])
    return np.repeat(np.asarray(ids, np.int64), counts), total - base


def read_positions(reader, fieldname: str, text: str, wanted: np.ndarray | None = None,
                   extent: tuple[int, int] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Return one segment's (doc ids, positions) for a term: one row per occurrence.

    With wanted (sorted doc ids), only the rows of those documents, reading only the
    blocks that can hold them: a common word's positions in a few documents.
    """
    matcher = _matcher(reader, fieldname, text, extent)
    if matcher is None:
        return _EMPTY
    fmt = reader.schema[fieldname].format
    if type(fmt) is not formats.Positions or not _on_disk(matcher) or matcher._byteids:
        docs, positions = _read_one_by_one(matcher, fmt.decode_positions)
        if wanted is None:
            return docs, positions
        kept = in_sorted(docs, wanted)
        return docs[kept], positions[kept]
    # Every block's values decoded at once: numpy's cost per call outweighed a block's work.
    parts = list(_blocks(matcher, wanted))
    if not parts:
        return _EMPTY
    ids = np.concatenate([p[0] for p in parts])
    values = [value for p in parts for value in p[1]]
    try:
        return decode_positions(ids, values)
    except ValueError:          # a value of the older format among them: decode each as Whoosh does
        return _decode_each(ids, values, fmt.decode_positions)


def _decode_each(ids, values, decode) -> tuple[np.ndarray, np.ndarray]:
    docs, positions = [], []
    for doc, value in zip(ids, values):
        found = decode(value)
        docs.extend([doc] * len(found))
        positions.extend(found)
    return np.asarray(docs, np.int64), np.asarray(positions, np.int64)


def _read_one_by_one(matcher, decode) -> tuple[np.ndarray, np.ndarray]:
    ids, values = [], []
    while matcher.is_active():
        ids.append(matcher.id())
        values.append(matcher.value())
        matcher.next()
    return _decode_each(ids, values, decode)


def read_words(reader, fieldnames: tuple[str, ...]) -> dict[str, int]:
    """Return the unstemmed words of a segment with their document frequencies."""
    words: dict[str, int] = {}
    for fieldname in fieldnames:
        if fieldname not in reader.schema:
            continue
        for term, info in reader.iter_field(fieldname):
            word = term.decode("utf-8") if isinstance(term, bytes) else term
            words[word] = max(words.get(word, 0), info.doc_frequency())
    return words
