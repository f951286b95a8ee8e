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
    name_keys: np.ndarray           # uint32
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
    name_order = np.argsort(names, kind="stable")
    return Tables(band_keys[order], band_docs[order], names[name_order], name_docs[name_order],
                  rows["day"].astype(np.int32))


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


class _Cache:
    """Each segment's tables, made once per process; least recently used out past CACHE_BYTES."""

    def __init__(self):
        self.items: OrderedDict = OrderedDict()
        self.size = 0
        self.lock = threading.Lock()

    def tables(self, segment_reader) -> Tables:
        key = segment_reader.segment().segment_id()
        with self.lock:
            found = self.items.get(key)
            if found is not None:
                self.items.move_to_end(key)
                return found
        found = build(_rows_from_column(segment_reader))
        with self.lock:
            self.items[key] = found
            self.size += found.nbytes
            while self.size > CACHE_BYTES and len(self.items) > 1:
                _, old = self.items.popitem(last=False)
                self.size -= old.nbytes
        return found


CACHE = _Cache()


def _runs(reader, keys_of, keys: list[int], dtype):
    """Yield (segment reader, base, tables, key, lo, hi) for each key present in each segment's table."""
    wanted = np.asarray(keys, dtype)
    for segment_reader, base in reader.leaf_readers():
        tables = CACHE.tables(segment_reader)
        # One search for all the keys: a segment costs two numpy calls, not two a key.
        table = keys_of(tables)
        starts, ends = np.searchsorted(table, wanted, "left"), np.searchsorted(table, wanted, "right")
        for key, lo, hi in zip(keys, starts, ends):
            if hi > lo:
                yield segment_reader, base, tables, key, lo, hi


def band_candidates(reader, band_keys: list[int], limit: int, total: int) -> list[int]:
    """Return the live documents sharing a band with these keys: the latest `limit` a band, `total` in all."""
    per_key: dict = {}
    for segment_reader, base, tables, key, lo, hi in _runs(reader, lambda t: t.band_keys, band_keys, np.uint64):
        per_key.setdefault(key, []).append(_live(segment_reader, base, tables.band_docs[lo:hi]))
    return _latest(per_key, limit, total)


def name_candidates(reader, names, day: int | None, limit: int, total: int) -> list[int]:
    """Return the live documents of these names within WINDOW_DAYS: `limit` a name and day, `total` in all."""
    per_key: dict = {}
    hashes = [name_hash(name) for name in names]
    for segment_reader, base, tables, key, lo, hi in _runs(reader, lambda t: t.name_keys, hashes, np.uint32):
        docs = tables.name_docs[lo:hi]
        days = tables.days[docs]
        # An undated article is compared with undated ones; a dated one also with those.
        near = days == NO_DAY_CODE if day is None else (np.abs(days - day) <= WINDOW_DAYS) | (days == NO_DAY_CODE)
        docs, days = docs[near], days[near]
        for one_day in np.unique(days):
            per_key.setdefault((key, int(one_day)), []).append(_live(segment_reader, base, docs[days == one_day]))
    return _latest(per_key, limit, total)


def _live(segment_reader, base: int, docs: np.ndarray) -> np.ndarray:
    docs = docs.astype(np.int64)
    if segment_reader.has_deletions():
        docs = docs[[not segment_reader.is_deleted(int(d)) for d in docs]] if len(docs) else docs
    return docs + base


def _latest(per_key: dict, limit: int, total: int) -> list[int]:
    """Return the latest written `limit` documents of each key, across segments (later ones are newer).

    Past `total`, those found under most keys are kept, then the latest.
    """
    if not per_key:
        return []
    docs, hits = np.unique(np.concatenate([np.sort(np.concatenate(parts))[-limit:] for parts in per_key.values()]),
                           return_counts=True)
    if len(docs) > total:
        docs = np.sort(docs[np.lexsort((docs, hits))[-total:]])
    return docs.tolist()
