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


def _hits(reader, keys_of, lows: np.ndarray, highs: np.ndarray):
    """Return (segment reader, base, tables, rows) of the table entries within the ranges lows..highs, per segment.

    Built with a few numpy calls a segment: a loop a key and day across 40 segments
    cost a 1M import milliseconds an article.
    """
    found = []
    for segment_reader, base in reader.leaf_readers():
        tables = CACHE.tables(segment_reader)
        table = keys_of(tables)
        starts, ends = np.searchsorted(table, lows, "left"), np.searchsorted(table, highs, "right")
        lengths = ends - starts
        count = int(lengths.sum())
        if not count:
            continue
        # Positions starts[k] .. ends[k] of every range k, end to end.
        offsets = np.cumsum(lengths) - lengths
        found.append((segment_reader, base, tables, np.arange(count) + np.repeat(starts - offsets, lengths)))
    return found


def _live(segment_reader, docs: np.ndarray) -> np.ndarray:
    """Return a mask of the documents not deleted."""
    if not segment_reader.has_deletions() or not len(docs):
        return np.ones(len(docs), bool)
    deleted = segment_reader.__dict__.get("_chancery_deleted")
    if deleted is None:         # a reader's deletions never change: mark them once
        deleted = np.zeros(segment_reader.doc_count_all(), bool)
        deleted[np.fromiter(segment_reader.deleted_docs_set, np.int64)] = True
        segment_reader._chancery_deleted = deleted
    return ~deleted[docs]


def band_candidates(reader, band_keys: list[int], limit: int, total: int) -> list[int]:
    """Return the live documents sharing a band with these keys: the latest `limit` a band, `total` in all."""
    groups, docs = [], []
    keys = np.asarray(band_keys, np.uint64)
    for segment_reader, base, tables, rows in _hits(reader, lambda t: t.band_keys, keys, keys):
        segment_docs = tables.band_docs[rows].astype(np.int64)
        live = _live(segment_reader, segment_docs)
        groups.append(tables.band_keys[rows][live])
        docs.append(segment_docs[live] + base)
    return _latest(groups, docs, limit, total)


def name_candidates(reader, names, day: int | None, limit: int, total: int) -> list[int]:
    """Return the live documents of these names within WINDOW_DAYS: `limit` a name and day, `total` in all."""
    hashes = np.array([name_hash(name) for name in names], np.uint64)
    # An undated article is compared with undated ones; a dated one also with those.
    lows = highs = name_key(hashes, np.full(len(hashes), NO_DAY_CODE))
    if day is not None:
        lows = np.concatenate([lows, name_key(hashes, np.full(len(hashes), day - WINDOW_DAYS))])
        highs = np.concatenate([highs, name_key(hashes, np.full(len(hashes), day + WINDOW_DAYS))])
    groups, docs = [], []
    for segment_reader, base, tables, rows in _hits(reader, lambda t: t.name_keys, lows, highs):
        segment_docs = tables.name_docs[rows].astype(np.int64)
        live = _live(segment_reader, segment_docs)
        groups.append(tables.name_keys[rows][live])         # a group per name and day: its key
        docs.append(segment_docs[live] + base)
    return _latest(groups, docs, limit, total)


def _latest(groups: list, docs: list, limit: int, total: int) -> list[int]:
    """Return the latest written `limit` documents of each group, across segments (later ones are newer).

    Past `total`, those found in most groups are kept, then the latest.
    """
    if not docs:
        return []
    group, doc = np.concatenate(groups), np.concatenate(docs)
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
