"""Write articles into the Whoosh index: upsert by id, delete, commit atomically.

One writer at a time changes the index. A second one waits for Whoosh's lock up to
a timeout and then fails with IndexLocked. Whoosh renames files into place on commit
but does not fsync them; with search.whoosh_fixes a commit fsyncs every file the
new table of contents names, and the folder, before it publishes it, and deletes
old files only after: a write that was acknowledged survives a crash or power loss.
"""
from __future__ import annotations

import errno
import logging
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from whoosh import index
from whoosh.codec import whoosh3
from whoosh.index import LockError, clean_files
from whoosh.reading import SegmentReader

from chancery.search import (event_store, events, person_names, schema, segment_files, snapshot, term_arrays,
                             vocabulary)
from chancery.search.articles import Article
from chancery.search.parallel_writer import ParallelWriter

INDEX_NAME = "MAIN"
LOG = logging.getLogger("chancery")
WRITER_MEMORY_MB = 512
# Postings a block holds (Whoosh's default: 128). Each block is unpickled and decompressed
# whole, at a cost per block: at 20,000 articles larger blocks read a common word's
# postings 37% faster, its positions 17% faster, and the index is 3% smaller.
BLOCK_POSTINGS = 1024
# A segment whose deleted documents pass this share is rewritten at the next commit.
MAX_DELETED_SHARE = 0.25
# Whoosh merges at about 4 ms a document, as slow as writing it afresh: a commit merges
# at most this many documents (a few seconds), so small writes into a large index stay
# quick and a long import never stops for a merge storm. Larger merges: `chancery optimize`.
MERGE_BUDGET_DOCS = 600
MIN_MERGE_SEGMENTS = 4
# A batch this large is written by several processes (forking them costs more below).
PARALLEL_MIN_ARTICLES = 1000
STALE_MARGIN_S = 5.0


class IndexLocked(RuntimeError):
    """Another writer holds the index lock for longer than we may wait."""


class DiskFull(OSError):
    """The index's disk is full: the write was undone."""


class IndexReadOnly(OSError):
    """The index's folder cannot be written."""


def unwritable(error: OSError) -> OSError:
    """Return the clear error for a disk that is full or read-only, else the error itself."""
    if error.errno in (errno.ENOSPC, errno.EDQUOT):
        return DiskFull(error.errno, "no space left on the index's disk: nothing was written; "
                                     "free some space and try again")
    if error.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        return IndexReadOnly(error.errno, "the index cannot be written here (read-only): nothing was written")
    return error


class IndexMissing(FileNotFoundError):
    """There is no index in the folder."""


@dataclass
class WriteResult:
    added: int = 0
    replaced: int = 0
    deleted: int = 0
    version: int = 0
    skipped: int = 0

    def __iadd__(self, other: "WriteResult") -> "WriteResult":
        self.added += other.added
        self.replaced += other.replaced
        self.deleted += other.deleted
        self.skipped += other.skipped
        self.version = other.version
        return self


def exists(index_dir: str | os.PathLike) -> bool:
    """Tell whether a folder holds an index."""
    return index.exists_in(Path(index_dir), indexname=INDEX_NAME)


def open_index(index_dir: str | os.PathLike, create: bool = False) -> index.Index:
    """Open the index in a folder, creating it (and the folder) when asked."""
    folder = Path(index_dir)
    if exists(folder):
        return index.open_dir(folder, indexname=INDEX_NAME)
    if not create:
        raise IndexMissing(f"no index in {folder}: run 'chancery index PATH' first")
    folder.mkdir(parents=True, exist_ok=True)
    return index.create_in(folder, schema.build_schema(), indexname=INDEX_NAME)


def version(ix: index.Index) -> int:
    """Return the index's generation: it grows with every commit."""
    return ix.latest_generation()


# index folder -> (version, spelling table, linker) after this process's last write to it
_CARRY: dict[str, tuple] = {}


class Indexer:
    """The one place that changes the index."""

    def __init__(self, index_dir: str | os.PathLike, lock_timeout: float = 10.0, with_events: bool = True,
                 writers: int = 1):
        self.index_dir = Path(index_dir)
        self.lock_timeout = lock_timeout
        self.with_events = with_events
        self.writers = writers
        self.ix = open_index(self.index_dir, create=True)
        self._names: person_names.NameTable | None = None
        self.linker = events.Linker()
        self._fresh = True

    def _adopt(self) -> None:
        """Take over the spelling table and linker of this process's last write, if nobody wrote since.

        The server makes an Indexer per request: without this, each POST rebuilt both from the
        whole index (50 ms and more at 20,000 articles, and every candidate read back).
        """
        if not self._fresh:
            return
        self._fresh = False
        carried = _CARRY.get(str(self.index_dir.resolve()))
        if carried is not None and carried[0] == version(self.ix):
            _, self._names, self.linker = carried

    def _writer(self, parallel: bool = False):
        started = time.time()
        options = dict(timeout=self.lock_timeout, delay=0.05, limitmb=WRITER_MEMORY_MB,
                       codec=whoosh3.W3Codec(blocklimit=BLOCK_POSTINGS))
        try:
            writer = ParallelWriter(self.ix, self.writers, **options) if parallel else self.ix.writer(**options)
        except OSError as error:    # the lock file cannot be made: a read-only or full disk
            converted = unwritable(error)
            if converted is error:
                raise
            raise converted from error
        except LockError:
            raise IndexLocked(
                f"the index at {self.index_dir} is locked by another writer; "
                f"waited {self.lock_timeout:g} s, try again later") from None
        # File times are coarser than time.time(): a margin keeps this writer's own folders.
        _remove_stale_pools(self.index_dir, older_than=started - STALE_MARGIN_S)
        return writer

    def optimize(self) -> dict:
        """Merge every segment into one, dropping deleted documents; return the before and after figures."""
        before = stats(self.index_dir)
        writer = self._writer()
        writer.commit(optimize=True)
        self.ix = open_index(self.index_dir)
        self.save_segment_arrays()
        return {"before": before, "after": stats(self.index_dir)}

    def write(self, articles: Iterable[Article] = (), delete_ids: Iterable[str] = (),
              only_new: bool = False) -> WriteResult:
        """Add or replace articles and delete ids in one atomic commit (only_new: skip the ids already indexed)."""
        result = WriteResult()
        latest = {article.id: article for article in articles}
        writer = self._writer(parallel=self.writers > 1 and len(latest) >= PARALLEL_MIN_ARTICLES)
        self._adopt()                                 # under the lock: the version is settled
        try:
            with writer.searcher() as searcher:
                existing = searcher.document_number
                # Each id looked up once: it decides both skipping (only_new) and add or replace.
                present = {doc_id for doc_id in latest if existing(id=doc_id) is not None}
                if only_new:
                    result.skipped = len(present)
                    latest = {doc_id: article for doc_id, article in latest.items() if doc_id not in present}
                # Events: deleted and replaced articles are no candidates for the new ones.
                self.linker.begin(searcher, set(delete_ids) | set(latest))
                for doc_id in dict.fromkeys(delete_ids):
                    if existing(id=doc_id) is not None:
                        writer.delete_by_term("id", doc_id)
                        result.deleted += 1
                # Whoosh's update only replaces committed documents, so within a
                # batch the last article with an id wins (see `latest` above).
                for article, kept in self._respell(latest, searcher):
                    fields = self.linker.respelled(article, *kept, self._names.resolve) if self.with_events else {}
                    writer.update_document(**{**schema.to_document(article), **fields})
                for article in latest.values():
                    document = {**schema.to_document(article), **self._event_fields(article)}
                    # A new id is added directly: update_document would search every
                    # segment for it again.
                    if article.id not in present:
                        result.added += 1
                        writer.add_document(**document)
                    else:
                        result.replaced += 1
                        writer.update_document(**document)
            if not latest and not result.deleted:
                # Nothing changes: no new version, so no worker rebuilds its snapshot.
                _cancel(writer)
                result.version = version(self.ix)
                return result
            vocabulary.write(self.index_dir, writer.generation, vocabulary.count(latest.values()))
            writer.commit(mergetype=merge_policy)
        except BaseException as error:
            vocabulary.discard(self.index_dir, writer.generation)    # still under the lock
            _cancel(writer)
            self._names = None                        # it may hold names that were not committed
            self.linker = events.Linker()     # it remembered articles that were not written
            _CARRY.pop(str(self.index_dir.resolve()), None)
            if isinstance(error, OSError):
                _remove_uncommitted_files(self.index_dir)
                converted = unwritable(error)
                if converted is not error:
                    raise converted from error
            raise
        self.ix = open_index(self.index_dir)
        result.version = version(self.ix)
        vocabulary.prune(self.index_dir, result.version)
        if self.writers > 1:
            self.save_segment_arrays()
        _CARRY[str(self.index_dir.resolve())] = (result.version, self._names, self.linker)
        return result

    def save_segment_arrays(self) -> int:
        """Save the read path's arrays of the segments that lack them; return how many segments got some.

        A bulk import saves its new segments', so a server's first start reads none and
        maps its term dictionary and frequent terms' postings (search.term_arrays); `chancery optimize --arrays`
        saves those of an index written by an older version.
        """
        saved = 0
        with self.ix.reader() as reader:
            for leaf, _ in reader.leaf_readers():
                path = segment_files.sidecar_path(leaf)
                if path is None:
                    continue
                fresh = not path.exists()
                if fresh:
                    snapshot.SegmentData.load(leaf, snapshot.TermCache())
                if self.with_events:
                    # Read from every document's event and dup ids, a new worker's first
                    # answer waited ~4.6 s a million articles for them.
                    event_store.save_hashes(leaf)
                saved += term_arrays.save(leaf) or fresh
        return saved

    def _event_fields(self, article: Article) -> dict:
        """Return the event and meeting fields of an article's document (none with events off)."""
        return self.linker.link(article) if self.with_events else {}

    def _respell(self, latest: dict[str, Article], searcher) -> list[tuple[Article, tuple]]:
        """Give the batch's people their index-wide spelling; return stored articles to respell.

        Each comes with its stored evdata and meetings, which its new document keeps.
        """
        if self._names is None:
            self._names = person_names.from_index(searcher)
        names = [name for article in latest.values() for name in article.persons]
        touched = {person_names.words(name)[-1] for name in names if person_names.words(name)}
        before = {name: self._names.canonical(name) for surname in touched
                  for name in self._names.by_surname.get(surname, ())}
        self._names.add(names)
        for article in latest.values():
            article.persons = self._names.resolve(article.persons)
        # A fuller spelling in this batch ("Ingrid Halvorsen") respells stored articles ("Halvorsen").
        changed = [name for name, old in before.items() if self._names.canonical(name) != old]
        stale: dict[str, tuple[Article, tuple]] = {}
        reader = searcher.reader()
        evdata = reader.column_reader("evdata") if reader.has_column("evdata") else None
        for name in changed:
            for docnum in searcher.document_numbers(person=name):
                fields = searcher.stored_fields(docnum)
                if fields["id"] not in latest and fields["id"] not in stale:
                    stored = schema.to_article(fields)
                    stored.persons = self._names.resolve(stored.persons)
                    kept = (evdata[docnum] if evdata is not None else None, fields.get("meetings"))
                    stale[stored.id] = (stored, kept)
        return list(stale.values())

    def delete(self, ids: Iterable[str]) -> WriteResult:
        """Delete articles by id in one atomic commit."""
        return self.write(delete_ids=ids)


def merge_plan(sizes: list[tuple[int, int]]) -> list[int]:
    """Return the positions of the segments to merge, given each one's (stored, deleted) documents.

    A segment whose deleted share passes MAX_DELETED_SHARE is rewritten first; then,
    smallest first, the small segments, when at least MIN_MERGE_SEGMENTS fit together.
    Nothing beyond MERGE_BUDGET_DOCS stored documents is merged in one commit.
    """
    budget, chosen = MERGE_BUDGET_DOCS, []
    heavy = [i for i, (stored, deleted) in enumerate(sizes) if deleted > MAX_DELETED_SHARE * stored]
    for i in sorted(heavy, key=lambda i: sizes[i][0]):
        if sizes[i][0] <= budget:
            chosen.append(i)
            budget -= sizes[i][0]
    small = []
    for i in sorted((i for i in range(len(sizes)) if i not in chosen), key=lambda i: sizes[i][0]):
        if sizes[i][0] > budget:
            break
        small.append(i)
        budget -= sizes[i][0]
    if len(small) >= MIN_MERGE_SEGMENTS:
        chosen += small
    return chosen


def merge_policy(writer, segments):
    """Merge what merge_plan chooses into the new segment; return the segments kept as they are."""
    chosen = set(merge_plan([(s.doc_count_all(), s.deleted_count()) for s in segments]))
    for i in sorted(chosen):
        # Copying a segment's reader keeps only its live documents: the deleted ones go.
        reader = SegmentReader(writer.storage, writer.schema, segments[i])
        writer.add_reader(reader)
        reader.close()
    return [segment for i, segment in enumerate(segments) if i not in chosen]


def indexed_ids(index_dir: str | os.PathLike) -> frozenset:
    """Return the ids of the live articles of an index (none when there is no index yet)."""
    if not exists(index_dir):
        return frozenset()
    with open_index(index_dir).reader() as reader:
        ids = reader.column_reader("id")         # a column: no stored body is decoded
        return frozenset(ids[doc] for doc in range(reader.doc_count_all()) if not reader.is_deleted(doc))


def stats(index_dir: str | os.PathLike) -> dict:
    """Return an index's live and stored documents, segments and bytes on disk."""
    ix = open_index(index_dir)
    with ix.reader() as reader:
        live, stored = reader.doc_count(), reader.doc_count_all()
    folder = Path(index_dir)
    size = sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())
    return {"documents": live, "stored": stored, "segments": len(ix._segments()), "bytes": size}


def _cancel(writer) -> None:
    """Undo a writer, and free its lock even when it failed half-way and cannot close cleanly."""
    try:
        writer.cancel()
    except Exception:  # the write's own error is the one to tell
        LOG.debug("cancelling a failed writer", exc_info=True)
        if writer.writelock:
            writer.writelock.release()
        shutil.rmtree(writer._tempstorage.folder, ignore_errors=True)


def _remove_uncommitted_files(index_dir: Path) -> None:
    """Delete the segment files a failed commit left, which no table of contents names."""
    try:
        ix = open_index(index_dir)
        clean_files(ix.storage, INDEX_NAME, ix.latest_generation(), ix._segments())
    except OSError:
        LOG.warning("could not remove the files of a failed commit in %s", index_dir, exc_info=True)


def _remove_stale_pools(folder: Path, older_than: float) -> None:
    """Remove the scratch folders of writers that died; only the lock holder may call this.

    The new writer's own scratch folders were made after it took the lock, so they
    are newer than the moment it asked for it.
    """
    for path in folder.glob("*.tmp"):
        if path.is_dir() and path.stat().st_mtime < older_than:
            shutil.rmtree(path, ignore_errors=True)
