"""Find an article's event candidates among committed segments, without index terms.

Each document carries a fixed-width column, `evindex`: its day, the crc32 of each
MinHash band of its text and of each of its people and countries (the first
MAX_NAMES). Per segment and process, two sorted tables are made from that column
once (a few numpy operations over its bytes), and a candidate look-up is a binary
search. Keeping these keys as Whoosh terms instead made them four terms in five
of the index, most of its size, and an eighth of its writing time.
"""
from __future__ import annotations

import threading
import zlib
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np
from whoosh.columns import FixedBytesColumn

from chancery.search.event_records import BANDS, NO_DAY_CODE, WINDOW_DAYS, decoded

MAX_NAMES = 16
LAYOUT = np.dtype([("day", "<i4"), ("bands", "<u4", (BANDS,)), ("names", "<u4", (MAX_NAMES,))])
WIDTH = LAYOUT.itemsize
CACHE_BYTES = 512 * 2**20       # tables kept per process, least recently used out
MERGE_MIN_DOCS = 10_000         # segments this large share one table


def name_hash(name: str) -> int:
    """Return a person's or country's key (never 0: 0 marks an empty slot)."""
    return zlib.crc32(name.encode("utf-8")) or 1


def encode(day: int | None, bands: list[int], names) -> bytes:
    """Return a document's evindex value."""
    row = np.zeros(1, LAYOUT)
    row["day"] = NO_DAY_CODE if day is None else day
    row["bands"] = bands
    hashes = [name_hash(name) for name in sorted(names)][:MAX_NAMES]
    row["names"][0, :len(hashes)] = hashes
    return row.tobytes()


@dataclass
class Tables:
    """One segment's look-up tables: band keys and name keys, sorted, with their documents."""
    band_keys: np.ndarray           # uint64: band << 32 | crc32
    band_docs: np.ndarray
    name_keys: np.ndarray           # uint64: name hash << 32 | day slot (name_key)
    name_docs: np.ndarray
    days: np.ndarray                # int32 per document

    @property
    def nbytes(self) -> int:
        return sum(a.nbytes for a in (self.band_keys, self.band_docs, self.name_keys, self.name_docs, self.days))


def build(rows: np.ndarray) -> Tables:
    """Return the tables of a segment's evindex rows."""
    count = len(rows)
    docs = np.arange(count, dtype=np.uint32)
    band_keys = ((np.arange(BANDS, dtype=np.uint64) << np.uint64(32)) | rows["bands"].astype(np.uint64)).ravel()
    band_docs = np.repeat(docs, BANDS)
    order = np.argsort(band_keys, kind="stable")
    names = rows["names"].ravel()
    name_docs = np.repeat(docs, MAX_NAMES)
    keep = names != 0
    names, name_docs = names[keep], name_docs[keep]
    # Sorted by name, then day: a name's days of the window are one range, not every
    # article of the name (a country's, at a million articles, hundreds of thousands).
    names = name_key(names, rows["day"][name_docs])
    name_order = np.argsort(names, kind="stable")
    return Tables(band_keys[order], band_docs[order], names[name_order], name_docs[name_order],
                  rows["day"].astype(np.int32))


def name_key(hashes, days):
    """Return the look-up keys of names on days: the name's hash above the day's slot (0 when undated)."""
    slots = (np.asarray(days, np.int64) - NO_DAY_CODE).astype(np.uint64)
    return (np.asarray(hashes, np.uint64) << np.uint64(32)) | slots


def _rows_from_column(segment_reader) -> np.ndarray:
    """Return a segment's evindex rows, from its column (or, for an older index, its evdata)."""
    count = segment_reader.doc_count_all()
    rows = np.zeros(count, LAYOUT)
    if segment_reader.has_column("evindex"):
        column = segment_reader.column_reader("evindex", translate=False)
        if isinstance(column, FixedBytesColumn.Reader):
            # The values lie end to end in the file: read them in one piece. Trailing
            # documents without one (written with events off) stay zeros.
            stored = min(column._count, count)
            rows[:stored] = np.frombuffer(column._dbfile.get(column._basepos, stored * WIDTH), LAYOUT, stored)
        return rows
    if not segment_reader.has_column("evdata"):
        return rows
    column = segment_reader.column_reader("evdata")
    for docnum in range(count):
        raw = column[docnum]
        if raw:
            record = decoded(raw)
            rows[docnum] = np.frombuffer(encode(record.day, record.band_hashes(), record.persons | record.countries),
                                         LAYOUT)
    return rows


class SegmentCache:
    """What build(segment reader) makes of each segment, once per process; least recently used out past max_bytes."""

    def __init__(self, build, max_bytes: int = CACHE_BYTES):
        self.build, self.max_bytes = build, max_bytes
        self.items: OrderedDict = OrderedDict()
        self.size = 0
        self.lock = threading.Lock()

    def tables(self, segment_reader):
        key = segment_reader.segment().segment_id()
        with self.lock:
            found = self.items.get(key)
            if found is not None:
                self.items.move_to_end(key)
                return found
        found = self.build(segment_reader)
        with self.lock:
            self.items[key] = found
            self.size += found.nbytes
            while self.size > self.max_bytes and len(self.items) > 1:
                _, old = self.items.popitem(last=False)
                self.size -= old.nbytes
        return found


CACHE = SegmentCache(lambda segment_reader: build(_rows_from_column(segment_reader)))


def _within(tables: Tables, kind: str, lows: np.ndarray, highs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return the keys and documents of a table's entries within the ranges lows..highs (kind: band or name)."""
    keys, docs = (tables.band_keys, tables.band_docs) if kind == "band" else (tables.name_keys, tables.name_docs)
    starts, ends = np.searchsorted(keys, lows, "left"), np.searchsorted(keys, highs, "right")
    lengths = ends - starts
    count = int(lengths.sum())
    # Positions starts[k] .. ends[k] of every range k, end to end.
    offsets = np.cumsum(lengths) - lengths
    rows = np.arange(count) + np.repeat(starts - offsets, lengths)
    return keys[rows], docs[rows]


@dataclass
class Merged:
    """The large segments' tables as one: a look-up is one binary search, not one a segment."""
    ids: list                       # the segments' ids, in reader order
    starts: np.ndarray              # int64: each segment's first position, then their total
    tables: Tables                  # documents as positions over the segments end to end


_MERGED: list[Merged | None] = [None]
_MERGED_LOCK = threading.Lock()


def merged(segment_readers: list) -> Merged:
    """Return the one table of these segments, extending this process's last when it covers their first ones.

    A long import adds two segments a batch: extending merges three sorted runs, so a
    batch does not sort the whole archive's keys again.
    """
    ids = [reader.segment().segment_id() for reader in segment_readers]
    with _MERGED_LOCK:
        last = _MERGED[0]
        if last is None or last.ids != ids[:len(last.ids)]:
            last = Merged([], np.zeros(1, np.int64), build(np.zeros(0, LAYOUT)))
        if last.ids != ids:
            last = _extended(last, segment_readers[len(last.ids):], ids)
        _MERGED[0] = last
        return last


def _extended(old: Merged, segment_readers: list, ids: list) -> Merged:
    parts, starts = [old.tables], list(old.starts)
    for segment_reader in segment_readers:
        tables = build(_rows_from_column(segment_reader))
        shift = np.uint32(starts[-1])
        parts.append(Tables(tables.band_keys, tables.band_docs + shift, tables.name_keys,
                            tables.name_docs + shift, tables.days))
        starts.append(starts[-1] + segment_reader.doc_count_all())
    # Stable sorts of runs already sorted (timsort merges them): each key's documents in position order.
    band_keys = np.concatenate([t.band_keys for t in parts])
    band_order = np.argsort(band_keys, kind="stable")
    name_keys = np.concatenate([t.name_keys for t in parts])
    name_order = np.argsort(name_keys, kind="stable")
    tables = Tables(band_keys[band_order], np.concatenate([t.band_docs for t in parts])[band_order],
                    name_keys[name_order], np.concatenate([t.name_docs for t in parts])[name_order],
                    np.concatenate([t.days for t in parts]))
    return Merged(ids, np.array(starts, np.int64), tables)


def _deleted(reader) -> np.ndarray | None:
    """Return a mask of the reader's deleted documents (None when it has none), made once a reader."""
    found = reader.__dict__.get("_chancery_deleted", False)
    if found is False:              # a reader's deletions never change: marked once
        found = None
        if reader.has_deletions():
            found = np.zeros(reader.doc_count_all(), bool)
            for segment_reader, base in reader.leaf_readers():
                if segment_reader.has_deletions():
                    found[np.fromiter(segment_reader.deleted_docs_set, np.int64) + base] = True
        reader._chancery_deleted = found
    return found


def _tiers(reader) -> tuple[Merged | None, np.ndarray, list]:
    """Return a reader's merged table and its segments' bases, and its small segments and theirs (once a reader)."""
    found = reader.__dict__.get("_chancery_tiers")
    if found is None:
        leaves = reader.leaf_readers()
        large = [(segment_reader, base) for segment_reader, base in leaves
                 if segment_reader.doc_count_all() >= MERGE_MIN_DOCS]
        table = merged([segment_reader for segment_reader, _ in large]) if large else None
        found = (table, np.array([base for _, base in large], np.int64),
                 [(segment_reader, base) for segment_reader, base in leaves
                  if segment_reader.doc_count_all() < MERGE_MIN_DOCS])
        reader._chancery_tiers = found
    return found


def _entries(reader, kind: str, lows: np.ndarray, highs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return the keys and reader documents of the live entries within the ranges lows..highs (kind: band or name).

    Segments of MERGE_MIN_DOCS documents or more are searched in one merged table; at
    a million articles a search a segment cost a link ~2 ms. Smaller ones, which
    merges and small writes replace often, are searched one by one.
    """
    table, bases, small = _tiers(reader)
    keys, docs = [], []
    if table is not None:
        found, positions = _within(table.tables, kind, lows, highs)
        segment = np.searchsorted(table.starts, positions, "right") - 1
        keys.append(found)
        docs.append(bases[segment] + (positions - table.starts[segment]))
    for segment_reader, base in small:
        found, segment_docs = _within(CACHE.tables(segment_reader), kind, lows, highs)
        keys.append(found)
        docs.append(segment_docs.astype(np.int64) + base)
    if not docs:
        return np.zeros(0, np.uint64), np.zeros(0, np.int64)
    keys, docs = np.concatenate(keys), np.concatenate(docs)
    deleted = _deleted(reader)
    if deleted is not None:
        live = ~deleted[docs]
        keys, docs = keys[live], docs[live]
    return keys, docs


def band_candidates(reader, band_keys: list[int], limit: int, total: int) -> list[int]:
    """Return the live documents sharing a band with these keys: the latest `limit` a band, `total` in all."""
    keys = np.asarray(band_keys, np.uint64)
    return _latest(*_entries(reader, "band", keys, keys), limit, total)


def name_candidates(reader, names, day: int | None, limit: int, total: int) -> list[int]:
    """Return the live documents of these names within WINDOW_DAYS: `limit` a name and day, `total` in all."""
    hashes = np.array([name_hash(name) for name in names], np.uint64)
    # An undated article is compared with undated ones; a dated one also with those.
    lows = highs = name_key(hashes, np.full(len(hashes), NO_DAY_CODE))
    if day is not None:
        lows = np.concatenate([lows, name_key(hashes, np.full(len(hashes), day - WINDOW_DAYS))])
        highs = np.concatenate([highs, name_key(hashes, np.full(len(hashes), day + WINDOW_DAYS))])
    # A group per name and day: its key.
    return _latest(*_entries(reader, "name", lows, highs), limit, total)


def _latest(group: np.ndarray, doc: np.ndarray, limit: int, total: int) -> list[int]:
    """Return the latest written `limit` documents of each group (later documents are newer).

    Past `total`, those found in most groups are kept, then the latest.
    """
    if not len(doc):
        return []
    order = np.lexsort((-doc, group))                      # each group's newest first
    group, doc = group[order], doc[order]
    first = np.flatnonzero(np.r_[True, group[1:] != group[:-1]])
    rank = np.arange(len(doc)) - np.repeat(first, np.diff(np.r_[first, len(doc)]))
    kept, hits = np.unique(doc[rank < limit], return_counts=True)
    if len(kept) > total:
        kept = np.sort(kept[np.lexsort((kept, hits))[-total:]])
    return kept.tolist()
