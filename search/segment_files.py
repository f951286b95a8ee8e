"""A segment's read arrays, as the read path needs them: read from the segment, or from its sidecar file.

Reading them from Whoosh costs about 50 µs a document (a Python loop over ids,
dates, field lengths and facet postings): a minute for a worker's first snapshot of
a million articles. So the first process that reads a segment saves them beside it,
as numpy arrays that loading cannot execute, and the next one loads them.
"""
from __future__ import annotations

import contextlib
import hashlib
import os
import threading
from datetime import date
from pathlib import Path

import numpy as np

from chancery.search import array_file, schema

SCORED_FIELDS = ("title", "body")
NO_DATE = -1
MICROS_PER_DAY = 86_400_000_000
MAX_ORDINAL = date.max.toordinal()


def day_ordinal(micros) -> int:
    """Return the date ordinal of a raw DATETIME column value, NO_DATE when it is none."""
    if not isinstance(micros, int) or micros < 0:
        return NO_DATE
    ordinal = micros // MICROS_PER_DAY + 1
    return ordinal if ordinal <= MAX_ORDINAL else NO_DATE


class IdTable:
    """A segment's article ids as numpy bytes: local doc -> id, and id -> local docs by binary search.

    A Python list and dict of ids cost ~170 bytes a document in every worker (170 MB
    at a million articles); these arrays cost about twice an id's length. Each id is
    stored as UTF-8 followed by 0xFF, a byte UTF-8 never holds, so numpy (which drops
    trailing NULs) keeps an id that ends in one.
    """

    END = b"\xff"

    def __init__(self, ids):
        if not len(ids):
            self.ids = np.zeros(0, "S1")
        elif isinstance(ids, np.ndarray):       # a sidecar's (which holds no id ending in NUL)
            self.ids = np.char.add(np.char.encode(ids, "utf-8"), self.END)
        else:
            self.ids = np.array([doc_id.encode("utf-8", "surrogatepass") + self.END for doc_id in ids])
        self.order = np.argsort(self.ids, kind="stable").astype(np.int32)
        self.sorted = self.ids[self.order]

    @classmethod
    def from_arrays(cls, ids: np.ndarray, order: np.ndarray, ordered: np.ndarray) -> "IdTable":
        """Return a table of ids already encoded, sorted and ordered (a sidecar's: nothing to sort or copy)."""
        table = cls.__new__(cls)
        table.ids, table.order, table.sorted = ids, order, ordered
        return table

    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self, local: int) -> str:
        return self.ids[local][:-1].decode("utf-8")

    def locals(self, doc_id: str) -> np.ndarray:
        """Return the local docs that hold an id, in document order."""
        key = doc_id.encode("utf-8", "surrogatepass") + self.END
        if len(key) > self.sorted.dtype.itemsize:
            return self.order[:0]           # longer than every id here (numpy would cut the key)
        lo, hi = np.searchsorted(self.sorted, key, "left"), np.searchsorted(self.sorted, key, "right")
        return np.sort(self.order[lo:hi])

    def tolist(self) -> list[str]:
        return [self[i] for i in range(len(self))]


# 3: one file of arrays, mapped (search.array_file); ids saved encoded and sorted, facet
# pairs in document order and in value order. A worker's first snapshot of a million
# articles spent 1.2 s sorting them, and 0.4 s and ~200 MB of its own memory reading .npz.
SIDECAR_SUFFIX = ".snap3.arrays"
OLD_SIDECAR_SUFFIX = ".snap1.npz"       # read when no newer one is saved, then saved again as the newer


def sidecar_path(reader, suffix: str = SIDECAR_SUFFIX) -> Path | None:
    """Return where a segment's arrays are saved: beside its files, named after it.

    Whoosh's clean_files takes every file named after a segment for one of its own, so
    a sidecar goes when its segment is merged away, as the segment's files do.
    """
    storage = getattr(reader, "_storage", None)
    while storage is not None and not hasattr(storage, "folder"):
        storage = getattr(storage, "b", None)       # a compound segment overlays the index's storage
    folder = getattr(storage, "folder", None)
    segment = reader.segment()
    return Path(folder) / f"{segment.segment_id()}{suffix}" if folder and segment is not None else None


def read_parts(reader) -> tuple:
    """Read a segment's ids, days, field lengths and facet postings (a few seconds at 100,000 documents)."""
    size = reader.doc_count_all()
    id_column = reader.column_reader("id", translate=True)
    ids = [id_column[doc] for doc in range(size)]
    days = np.full(size, NO_DATE, np.int32)
    if reader.has_column("published"):
        # Raw microseconds, not translated: Whoosh fills a missing date with the
        # column's maximum, which no datetime can hold.
        column = reader.column_reader("published", translate=False)
        for doc in range(size):
            days[doc] = day_ordinal(column[doc])
    lengths = {name: np.fromiter((reader.doc_field_length(doc, name, 0) for doc in range(size)),
                                 np.float64, size) for name in SCORED_FIELDS}
    facet_values, facet_pairs = {}, {}
    for facet in schema.FACETS:
        values, docs, locals_ = [], [], []
        for value in reader.lexicon(facet):
            text = value.decode("utf-8") if isinstance(value, bytes) else value
            ids_here = list(reader.postings(facet, text).all_ids())
            docs.extend(ids_here)
            locals_.extend([len(values)] * len(ids_here))
            values.append(text)
        facet_values[facet] = values
        facet_pairs[facet] = (np.asarray(docs, np.int32), np.asarray(locals_, np.int32))
    return ids, days, lengths, facet_values, facet_pairs


def _strings(values: list[str]) -> np.ndarray:
    return np.array(values, dtype=str) if values else np.zeros(0, "U1")


def arrange(ids, days, lengths, facet_values, facet_pairs) -> tuple:
    """Return read parts as the read path keeps them: ids in an IdTable, facet pairs by document and by value.

    Each facet comes as (docs, locals, docs by value, start of each value's docs):
    its pairs sorted by document (then value), and its documents in value order.
    """
    # Pairs in document order: the concatenated pairs of a version are then in document
    # order too, so a facet is counted over a small result's documents alone.
    arranged = {}
    for facet, (docs, local) in facet_pairs.items():
        order = np.lexsort((local, docs))
        docs, local = docs[order], local[order]
        by_value = np.argsort(local, kind="stable")
        ptr = np.searchsorted(local[by_value], np.arange(len(facet_values[facet]) + 1))
        arranged[facet] = (docs, local, docs[by_value], ptr)
    return IdTable(ids), days, lengths, facet_values, arranged


def save_sidecar(path: Path, ids: IdTable, days, lengths, facet_values, facet_pairs) -> None:
    """Save a segment's arranged arrays so that the next process maps them instead of reading the segment."""
    if any(v.endswith("\0") for values in facet_values.values() for v in values):
        return          # numpy's string arrays drop trailing NULs: such a value would not come back
    arrays = {"ids": ids.ids, "id_order": ids.order, "id_sorted": ids.sorted, "days": days,
              **{f"length_{n}": lengths[n] for n in SCORED_FIELDS}}
    for facet in schema.FACETS:
        arrays[f"{facet}_values"] = _strings(facet_values[facet])
        (arrays[f"{facet}_docs"], arrays[f"{facet}_locals"], arrays[f"{facet}_by_value"],
         arrays[f"{facet}_ptr"]) = facet_pairs[facet]
    save_arrays(path, arrays)


def save_arrays(path: Path, arrays: dict[str, np.ndarray]) -> bool:
    """Save named arrays in one array file beside a segment (whole or not at all); return whether it was saved."""
    return _save(path, lambda out: array_file.write(out, arrays))


def _save(path: Path, write) -> bool:
    """Write a file whole through write(handle); return whether it was saved."""
    # A dot name: clean_files passes over it while it is written; renamed into place whole.
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}")
    try:
        with temporary.open("wb") as out:
            write(out)
        os.replace(temporary, path)
        return True
    except OSError:     # a read-only index, a full disk, the segment merged away meanwhile
        with contextlib.suppress(OSError):
            temporary.unlink(missing_ok=True)
        return False


def save_array(path: Path, array: np.ndarray) -> bool:
    """Save one array as a .npy file beside a segment (whole or not at all); return whether it was saved."""
    return _save(path, lambda out: np.save(out, array, allow_pickle=False))


def hash64(data: bytes) -> int:
    """Return the 64-bit number a string's bytes are known by in a segment's arrays."""
    return int.from_bytes(hashlib.blake2b(data, digest_size=8).digest(), "little")


def segment_array(reader, name: str, compute, per_document: bool = True) -> np.ndarray:
    """Return an array of a segment (a row a document unless per_document is false): loaded, else computed and saved.

    name tells the array apart from the segment's other sidecars; compute(reader)
    returns a numeric numpy array.
    """
    path = sidecar_path(reader, f".{name}.npy")
    if path is not None and path.exists():
        try:
            found = np.load(path, allow_pickle=False)
            if not per_document or len(found) == reader.doc_count_all():
                return found
        except (OSError, ValueError):
            pass                                # unreadable: compute it again
    found = compute(reader)
    if path is not None:
        save_array(path, found)
    return found


def _loaded(path: Path | None, parts, read) -> tuple | None:
    """Return parts(read(path)) of a sidecar, None when there is none or it cannot be read."""
    if path is None or not path.exists():
        return None
    try:
        return parts(read(path))
    except (OSError, ValueError, KeyError):
        return None                             # unreadable: read the segment again


def _npz(path: Path) -> dict:
    with np.load(path, allow_pickle=False) as saved:
        return {name: saved[name] for name in saved.files}


def _lengths(saved) -> dict:
    return {name: saved[f"length_{name}"] for name in SCORED_FIELDS}


def _facet_values(saved) -> dict:
    return {facet: saved[f"{facet}_values"].tolist() for facet in schema.FACETS}


def _arranged_parts(saved) -> tuple:
    pairs = {facet: tuple(saved[f"{facet}_{part}"] for part in ("docs", "locals", "by_value", "ptr"))
             for facet in schema.FACETS}
    ids = IdTable.from_arrays(saved["ids"], saved["id_order"], saved["id_sorted"])
    return ids, saved["days"], _lengths(saved), _facet_values(saved), pairs


def _old_parts(saved) -> tuple:
    pairs = {facet: (saved[f"{facet}_docs"], saved[f"{facet}_locals"]) for facet in schema.FACETS}
    return saved["ids"], saved["days"], _lengths(saved), _facet_values(saved), pairs


def segment_parts(reader) -> tuple:
    """Return a segment's arranged parts: mapped from its sidecar, else read (or from an older sidecar) and saved."""
    path = sidecar_path(reader)
    parts = _loaded(path, _arranged_parts, array_file.read)
    if parts is None:
        read = _loaded(sidecar_path(reader, OLD_SIDECAR_SUFFIX), _old_parts, _npz) or read_parts(reader)
        parts = arrange(*read)
        if path is not None:
            save_sidecar(path, *parts)
    return parts
