"""Fixes for bugs found in whoosh-ng, applied when the search package is imported.

1. Phrase queries could crash on some positions (below).
2. A segment's length reader is cached only when the column exists, so every
   posting of a field without lengths (spelling and facet fields) asks the file
   system again: 211,000 stat calls, a quarter of the time, to index 1,000 articles.
   Here a missing column is remembered too.
3. A commit renamed its new table of contents into place, deleted the files it
   no longer names, and fsynced nothing: a power cut could leave a TOC naming data
   that never reached the disk. Here every file the new TOC names, the TOC itself
   and the folder are fsynced before the rename, the folder again after it, and
   only then is anything old deleted.
4. A file inside a segment's compound file is a memoryview of the mmapped file,
   but whoosh-ng wraps it in BytesIO, which copies it: every reader opened copies
   the segment's postings and term tables into the process (a worker held 838 MB
   of its own at 100,000 articles, and each new index version copied them all
   again: 53 ms at 5,000). Here the view is read in place (ViewIO); the pages stay
   the page cache's, shared by every worker.
5. The schema pickled in a TOC names its analyzer's module. Indexes written before
   the packages moved under chancery (chancery.search, chancery.api) name
   search.analysis; here the TOC's unpickler maps those names to their new home.
6. A column of variable-length values (the stored fields) derives each document's
   offset from the lengths in a Python loop when its reader opens: 6 ms a segment,
   0.15 s of a new worker's first search at a million articles. Here by numpy.
7. A segment writer's posting pool sorts every posting as a tuple and spills runs
   one marshal call a posting (search.term_pool says what it costs); here it is
   TermPool, which keeps postings by term.

whoosh-ng 5.4 stores positions as varints but takes any value ending in b"." (0x2E)
for its older pickled format, so a term whose last position gap is 46 words breaks
every phrase query that reads it (UnpicklingError). Here a value is read as varints
when it parses as exactly that, and only otherwise as the older format.
"""
from __future__ import annotations

import io
import os
import pickle
import struct
import types
from array import array

import numpy as np
from whoosh import columns, formats
from whoosh import index as whoosh_index
from whoosh.writing import segment_writer
from whoosh.codec import whoosh3
from whoosh.filedb import structfile

from chancery.search.term_pool import TermPool
from whoosh.system import _INT_SIZE, unpack_uint


def _strict_varints(valuestring: bytes) -> list[int]:
    count = unpack_uint(valuestring[:_INT_SIZE])[0]
    codes, pos = [], _INT_SIZE
    for _ in range(count):
        value, shift = 0, 0
        while True:
            if pos >= len(valuestring):
                raise ValueError("truncated")
            byte = valuestring[pos]
            pos += 1
            value |= (byte & 0x7F) << shift
            shift += 7
            if not byte & 0x80:
                break
        codes.append(value)
    if pos != len(valuestring):
        raise ValueError("trailing bytes")
    return codes


def decode_positions(self, valuestring: bytes) -> list[int]:
    """Decode a positions value, new varint encoding first."""
    try:
        codes = _strict_varints(valuestring)
    except ValueError:
        return self._decode_positions_legacy(valuestring)
    positions, position = [], 0
    for code in codes:
        position += code
        positions.append(position)
    return positions


_MISSING = object()


def cached_reader(self, fieldname, column):
    """Return a segment's column reader, remembering columns that do not exist."""
    found = self._readers.get(fieldname, _MISSING)
    if found is _MISSING:
        found = self.column_reader(fieldname, column) if self.has_column(fieldname) else None
        self._readers[fieldname] = found
    return found


def fsync_path(path: str, directory: bool = False) -> None:
    """Flush one file, or a folder's entries, to the disk."""
    fd = os.open(path, os.O_RDONLY | (os.O_DIRECTORY if directory else 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def durable_commit_toc(self, segments) -> None:
    """Publish the new TOC only once what it names is on disk; delete old files after."""
    from whoosh.index import TOC, clean_files
    storage = self.storage
    folder = getattr(storage, "folder", None)
    if folder is None:          # an index in memory has no disk to wait for
        return _commit_toc(self, segments)
    for segment in segments:
        for name in segment.list_files(storage):
            fsync_path(os.path.join(folder, name))
    rename = storage.rename_file

    def rename_durably(old: str, new: str, safe: bool = False) -> None:
        fsync_path(os.path.join(folder, old))
        fsync_path(folder, directory=True)
        rename(old, new, safe=safe)
        fsync_path(folder, directory=True)

    storage.rename_file = rename_durably
    try:
        TOC(self.schema, segments, self.generation).write(storage, self.indexname)
    finally:
        del storage.rename_file
    clean_files(storage, self.indexname, self.generation, segments)


_commit_toc = segment_writer.SegmentWriter._commit_toc


class ViewIO(io.RawIOBase):
    """A read-only file over a memoryview that copies only what is read."""

    def __init__(self, view):
        super().__init__()
        self._view = view
        self._pos = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        end = min(len(self._view), self._pos + len(buffer))
        count = max(0, end - self._pos)
        memoryview(buffer).cast("B")[:count] = self._view[self._pos:end]
        self._pos += count
        return count

    def read(self, size: int = -1) -> bytes:
        end = len(self._view) if size is None or size < 0 else min(len(self._view), self._pos + size)
        start, self._pos = self._pos, max(self._pos, end)
        return bytes(self._view[start:end])

    def readline(self, size: int = -1) -> bytes:
        view = self._view[self._pos:] if size is None or size < 0 else self._view[self._pos:self._pos + size]
        found = bytes(view).find(b"\n")    # lines are read only from small files (pickles)
        return self.read(found + 1 if found >= 0 else len(view))

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: len(self._view)}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def tell(self) -> int:
        return self._pos


def buffer_file_init(self, buf, name=None, onclose=None) -> None:
    """Open a BufferFile over buf without copying it (whoosh-ng's BytesIO copies)."""
    self._buf = buf
    self._name = name
    self.file = ViewIO(buf)
    self.onclose = onclose
    self.is_real = False
    self.is_closed = False


# Top-level package names of releases before 0.2, and where they live now.
MOVED_PACKAGES = {"search": "chancery.search", "api": "chancery.api"}


class _TocUnpickler(pickle.Unpickler):
    """Unpickle a TOC's schema, reading old module paths as their new ones."""

    def find_class(self, module, name):
        top, dot, rest = module.partition(".")
        if top in MOVED_PACKAGES:
            module = MOVED_PACKAGES[top] + dot + rest
        return super().find_class(module, name)


def _toc_loads(data: bytes):
    """Load a pickled TOC schema, old module paths included."""
    return _TocUnpickler(io.BytesIO(data)).load()


# whoosh.index reads the schema with pickle.loads and writes it with pickle.dumps.
toc_pickle = types.SimpleNamespace(loads=_toc_loads, dumps=pickle.dumps, PicklingError=pickle.PicklingError)


_READ_OFFSETS_AND_LENGTHS = columns.VarBytesColumn.Reader._read_offsets_and_lengths


def read_offsets_and_lengths(self) -> None:
    """Read a variable-bytes column's lengths and offsets, the offsets summed by numpy when not stored."""
    last = self._basepos + self._length - 1
    code = chr(self._dbfile.get_byte(last))
    if code == "X":
        return _READ_OFFSETS_AND_LENGTHS(self)      # the offsets were written: read as they are
    lengths = self._dbfile.get_array(last - struct.calcsize(code) * self._doccount, code, self._doccount)
    sizes = np.frombuffer(lengths, np.dtype(lengths.typecode)).astype(np.uint64)
    offsets = array("Q")
    offsets.frombytes((np.cumsum(sizes) - sizes).tobytes())
    self._offsets = offsets
    self._lengths = lengths


def apply() -> None:
    """Install the fixes (idempotent)."""
    formats.Positions.decode_positions = decode_positions
    whoosh3.W3PerDocReader._cached_reader = cached_reader
    segment_writer.SegmentWriter._commit_toc = durable_commit_toc
    whoosh_index.pickle = toc_pickle
    structfile.BufferFile.__init__ = buffer_file_init
    columns.VarBytesColumn.Reader._read_offsets_and_lengths = read_offsets_and_lengths
    segment_writer.PostingPool = TermPool
