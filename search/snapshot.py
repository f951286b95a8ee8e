"""Per-index-version arrays for the fast read path.

Whoosh answers a top-10 in tens of milliseconds and counts facets by re-reading
every facet posting per query. Here each process reads, once per segment, what the
read path needs into numpy arrays: ids, dates, field lengths, facet (doc, value)
pairs and, lazily, term postings. Segments are immutable, so a new index version
only loads its new segments; deletions are re-read as a live-document mask.
"""
from __future__ import annotations

import threading
from collections import Counter, OrderedDict
from dataclasses import dataclass, field
from datetime import date

import numpy as np

from chancery.search import schema, segment_files, term_arrays, vocabulary
from chancery.search.facets import FacetIndex, FacetTable
from chancery.search.postings import (distinct_sorted, in_sorted, intersect_sorted, locate_sorted, read_positions,
                                      read_postings, read_words)
from chancery.search.segment_files import NO_DATE, SCORED_FIELDS, day_ordinal  # noqa: F401 (read by others)

SPELLING_FIELDS = ("spell_title", "spell_body")
DEFAULT_CACHE_MB = 200
WORD_BYTES = 100                      # rough cost of one cached vocabulary entry
RECENT_USES = 1024              # terms a cache remembers having been read
# A term in more documents than this has its positions read for the documents a query
# needs, unless they are over 1 in POSITIONS_SHARE of its documents; else read and cached whole.
POSITIONS_WHOLE = 4096
POSITIONS_SHARE = 8
EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
ABSENT = term_arrays.Entry(0, None, None)       # a term the segment's saved dictionary does not hold
NO_POSTINGS = (np.empty(0, np.int32), np.empty(0, np.float32))
NO_POSITIONS = (np.empty(0, np.int32), np.empty(0, np.int32))


class TermCache:
    """Term arrays of every segment of a process, least recently used out past a budget.

    One budget for the whole process: a budget per segment let a worker grow to
    1.4 GB at 100,000 articles.
    """

    def __init__(self, budget_mb: float = DEFAULT_CACHE_MB):
        self.budget = int(budget_mb * 2**20)
        self.items: OrderedDict = OrderedDict()
        self.size = 0
        self.lock = threading.Lock()
        # (kind, field, text) of the terms read lately, whether cached or mapped (search.warming).
        self.recent: OrderedDict = OrderedDict()

    def used(self, kind: str, fieldname: str, text: str) -> None:
        """Note that a term's postings or positions were read."""
        key = (kind, fieldname, text)
        with self.lock:
            self.recent[key] = None
            self.recent.move_to_end(key)
            if len(self.recent) > RECENT_USES:
                self.recent.popitem(last=False)

    @staticmethod
    def cost(value) -> int:
        if isinstance(value, tuple):
            return sum(part.nbytes for part in value)
        return len(value) * WORD_BYTES

    def get(self, key: tuple, load):
        """Return the cached value of a key, loading it on a miss."""
        with self.lock:
            if key in self.items:
                self.items.move_to_end(key)
                return self.items[key]
        found = load()
        with self.lock:
            if key not in self.items:
                self.items[key] = found
                self.size += self.cost(found)
            while self.size > self.budget and len(self.items) > 1:
                _, old = self.items.popitem(last=False)
                self.size -= self.cost(old)
        return found


@dataclass
class SegmentData:
    """What the read path needs from one immutable segment (deletions aside)."""
    size: int
    ids: segment_files.IdTable
    days: np.ndarray                    # date ordinal per doc, NO_DATE when unknown
    lengths: dict[str, np.ndarray]      # decoded field length per doc
    facet_values: dict[str, list[str]]  # facet -> segment-local value list
    facet_pairs: dict[str, tuple[np.ndarray, np.ndarray]]  # facet -> (doc, local value)
    key: str = ""
    cache: TermCache | None = None
    # facet -> global value number of each local value (FacetTable's numbering, append-only)
    global_values: dict[str, np.ndarray] = field(default_factory=dict)
    by_value: dict[str, tuple[dict[str, int], np.ndarray, np.ndarray]] = field(default_factory=dict)
    terms: term_arrays.Terms = term_arrays.NONE     # the term dictionary and frequent postings, mapped

    @classmethod
    def load(cls, reader, cache: TermCache) -> "SegmentData":
        """Return a segment's arrays: from its sidecar file when one was saved, else read and saved."""
        ids, days, lengths, facet_values, arranged = segment_files.segment_parts(reader)
        facet_pairs = {facet: (docs, local) for facet, (docs, local, _, _) in arranged.items()}
        data = cls(reader.doc_count_all(), ids, days, lengths, facet_values, facet_pairs,
                   reader.segment().segment_id(), cache, terms=term_arrays.load(reader))
        for facet, (_, _, by_value, ptr) in arranged.items():
            lookup = {value: i for i, value in enumerate(facet_values[facet])}
            data.by_value[facet] = (lookup, ptr, by_value)
        return data

    def live(self, reader) -> np.ndarray:
        """Return this segment's live-document mask in a reader's version (cached by deletions)."""
        segment = reader.segment()
        key = segment.deleted_count()       # deletions only grow, so their count names the version
        found = self.__dict__.get("_live")
        if found is None or found[0] != key:
            mask = np.ones(self.size, bool)
            if key:
                mask[np.fromiter(segment.deleted_docs(), np.int64, key)] = False
            found = (key, mask)
            self._live = found
        return found[1]

    def facet_docs(self, facet: str, value: str) -> np.ndarray:
        """Return this segment's local docs that hold a facet value."""
        lookup, ptr, docs = self.by_value[facet]
        local = lookup.get(value)
        return docs[ptr[local]:ptr[local + 1]] if local is not None else docs[:0]

    def entry(self, fieldname: str, text: str, key: int | None = None, positions: bool = False
              ) -> term_arrays.Entry | None:
        """Return a term's entry in the saved dictionary: ABSENT when the segment lacks the term, None
        when no dictionary was saved."""
        if not self.terms.known:
            return None
        found = self.terms.find(term_arrays.term_key(fieldname, text) if key is None else key, positions)
        return ABSENT if found is None else found

    def term(self, reader, fieldname: str, text: str, key: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Return this segment's postings of a term, mapped or cached (deleted documents included)."""
        self.cache.used("postings", fieldname, text)
        return self.postings(reader, fieldname, text, term_arrays.term_key(fieldname, text) if key is None else key)

    def postings(self, reader, fieldname: str, text: str, key: int) -> tuple[np.ndarray, np.ndarray]:
        """Return this segment's postings of a term by its key, without noting the use (the caller does)."""
        if self.terms.known:
            # The common case in the fewest numpy calls: a word's look-up runs in every segment.
            at = self.terms.place(key)
            if at < 0:
                return NO_POSTINGS
            saved = self.terms.postings(at)
            if saved is not None:
                return saved
        entry = self.entry(fieldname, text, key)
        if entry is ABSENT:
            return NO_POSTINGS
        if entry is not None and entry.postings is not None:
            return entry.postings
        extent = entry.extent if entry is not None else None
        return self._cached(("postings", fieldname, text), lambda: read_postings(reader, fieldname, text, extent))

    def weights_at(self, reader, fieldname: str, texts: list[str], keys: list[int], local: np.ndarray) -> np.ndarray:
        """Return some terms' weights in some local documents (sorted), a row a term, 0 where absent."""
        found = np.zeros((len(texts), len(local)))
        rows = range(len(texts))
        if self.terms.known:
            at, held = self.terms.locate(np.array(keys, np.uint64))
            saved = held & (self.terms.ptr[at + 1] > self.terms.ptr[at])
            found[saved] = self.terms.weights_at(at[saved], local.astype(self.terms.ids.dtype, copy=False))
            # Postings not saved (a file with a threshold) are read by the term's saved place.
            rows = np.flatnonzero(held & ~saved).tolist()
        for row in rows:
            ids, weights = self.term(reader, fieldname, texts[row], keys[row])
            if len(ids):
                # In the ids' own type (local numbers fit it): else numpy copies the ids to compare.
                at, held = locate_sorted(local.astype(ids.dtype, copy=False), ids)
                found[row] = np.where(held, weights[at], 0.0)
        return found

    def positions(self, reader, fieldname: str, text: str, wanted: np.ndarray | None = None
                  ) -> tuple[np.ndarray, np.ndarray]:
        """Return this segment's (doc, position) rows of a term, or of its wanted (sorted) docs.

        A term's rows are cached whole when it is in few documents, or when wanted
        covers a good share of them; else only the wanted documents' blocks are read.
        """
        self.cache.used("positions", fieldname, text)
        rows, entry = self._saved_rows(fieldname, text, wanted)
        if rows is not None:
            return rows
        extent = entry.extent if entry is not None else None
        if wanted is not None:
            docs = self.term(reader, fieldname, text)[0]
            if len(docs) > POSITIONS_WHOLE and len(wanted) * POSITIONS_SHARE < len(docs):
                return read_positions(reader, fieldname, text, wanted, extent)
        # Cached as int32 (8 bytes a row, not 16): at 1M articles a segment's rows of "said" are ~250,000.
        rows = self._cached(("positions", fieldname, text), lambda: tuple(
            part.astype(np.int32) for part in read_positions(reader, fieldname, text, extent=extent)))
        if wanted is None:
            return rows
        kept = in_sorted(rows[0], wanted)
        return rows[0][kept], rows[1][kept]

    def _saved_rows(self, fieldname: str, text: str, wanted: np.ndarray | None):
        """Return (rows, None) when the saved dictionary answers (no such term, or its positions saved);
        else (None, the term's entry: None when no dictionary was saved)."""
        entry = self.entry(fieldname, text, positions=True)
        if entry is ABSENT:
            return NO_POSITIONS, None
        if entry is not None and entry.positions is not None:
            return entry.rows(wanted), None
        return None, entry

    def words(self, reader) -> dict[str, int]:
        """Return this segment's unstemmed words and document frequencies, cached."""
        return self._cached(("words",), lambda: read_words(reader, SPELLING_FIELDS))

    def _cached(self, key: tuple, load):
        return self.cache.get((self.key,) + key, load)


class DocNumbers:
    """Article id -> live doc number of a snapshot, asked of each segment, newest first."""

    def __init__(self, segments: list, live: np.ndarray):
        self.segments = segments[::-1]
        self.live = live

    def get(self, doc_id: str, default=None):
        for data, offset, _ in self.segments:
            for local in data.ids.locals(doc_id)[::-1]:     # the last wins, as a dict of ids kept it
                if self.live[offset + local]:
                    return offset + int(local)
        return default

    def __getitem__(self, doc_id: str) -> int:
        found = self.get(doc_id)
        if found is None:
            raise KeyError(doc_id)
        return found

    def __contains__(self, doc_id: str) -> bool:
        return self.get(doc_id) is not None


class Snapshot:
    """The arrays of one index version, assembled from cached segments."""

    def __init__(self, searcher, cache: dict, terms: TermCache, tables: dict | None = None):
        self.searcher = searcher
        self.term_cache = terms
        self.version = None
        reader = searcher.reader()
        # A segment's arrays never change: a later version only adds deletions, which
        # each segment re-reads when their count changed. So arrays are cached by
        # segment id, and a version costs what changed plus concatenations.
        tables = tables if tables is not None else {}
        self.segments: list[tuple[SegmentData, int, object]] = []
        for leaf, offset in reader.leaf_readers():
            if leaf.segment() is None:
                continue  # the empty reader of an index with nothing committed yet
            key = leaf.segment().segment_id()
            if key not in cache:
                cache[key] = SegmentData.load(leaf, terms)
            self.segments.append((cache[key], offset, leaf))
        keep = {data.key for data, _, _ in self.segments}
        for key in [k for k in cache if k not in keep]:
            del cache[key]
        self.size = reader.doc_count_all()
        self.live = self._concat(lambda d, leaf: d.live(leaf), bool)
        self.docnum = DocNumbers(self.segments, self.live)
        self.days = self._concat(lambda d, _: d.days, np.int32)
        self.lengths = {name: self._concat(lambda d, _, n=name: d.lengths[n], np.float64) for name in SCORED_FIELDS}
        self.facets = {facet: self._facet(facet, tables.setdefault(facet, FacetTable())) for facet in schema.FACETS}
        self.months, self.month_of = self._months()
        self._vocabulary = None

    def doc_id(self, doc: int) -> str:
        """Return the article id of a doc number."""
        for data, offset, _ in reversed(self.segments):
            if doc >= offset:
                return data.ids[doc - offset]
        raise IndexError(doc)

    def _concat(self, part, dtype) -> np.ndarray:
        arrays = [part(data, leaf) for data, _, leaf in self.segments]
        return np.concatenate(arrays).astype(dtype, copy=False) if arrays else np.empty(0, dtype)

    def _facet(self, facet: str, table: FacetTable) -> FacetIndex:
        docs, vals = [np.empty(0, np.int32)], [np.empty(0, np.int32)]
        for data, offset, _ in self.segments:
            if facet not in data.global_values:
                data.global_values[facet] = table.numbers(data.facet_values[facet])
            mapping = data.global_values[facet]
            local_docs, local_values = data.facet_pairs[facet]
            docs.append(local_docs + offset)
            vals.append(mapping[local_values] if len(mapping) else local_values)
        # The table's lists as they are now: a later version may append to them.
        values = table.values[:]
        return FacetIndex(values, dict(table.lookup), np.concatenate(docs), np.concatenate(vals),
                          [(data, offset) for data, offset, _ in self.segments], self.live, facet)

    def _months(self) -> tuple[list[str], np.ndarray]:
        """Return the months with articles and each doc's month index (-1 when undated)."""
        month_of = np.full(self.size, -1, np.int32)
        dated = self.days != NO_DATE
        if not dated.any():
            return [], month_of
        # Date ordinals to numpy months, vectorised: a version's cost must not grow with its days.
        months = (self.days[dated] - EPOCH_ORDINAL).astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
        # Months are few: numbered by counting, not by sorting a million (np.unique, 0.1 s).
        first = int(months.min())
        distinct = np.flatnonzero(np.bincount(months - first))
        number = np.zeros(len(distinct) and int(distinct[-1]) + 1, np.int32)
        number[distinct] = np.arange(len(distinct), dtype=np.int32)
        month_of[dated] = number[months - first]
        return [str(np.datetime64(int(m) + first, "M")) for m in distinct], month_of

    def phrase_docs(self, fieldname: str, words: list[str]) -> np.ndarray:
        """Return the documents where the words stand next to each other, in order."""
        found = []
        word_keys = {word: term_arrays.term_key(fieldname, word) for word in words}
        for word in word_keys:
            self.term_cache.used("postings", fieldname, word)
        for data, offset, leaf in self.segments:
            # The documents holding every word first, rarest word first: a common word's
            # positions are then read in those documents alone (at 1M articles, every
            # position of "said" was read and sorted again for each phrase with it).
            postings = sorted((data.postings(leaf, fieldname, word, key)[0] for word, key in word_keys.items()),
                              key=len)
            candidates = postings[0]
            for docs in postings[1:]:
                if not len(candidates):
                    break
                candidates = intersect_sorted(candidates, docs)
            if not len(candidates):
                continue
            keys = None
            for shift, word in enumerate(words):
                docs, positions = data.positions(leaf, fieldname, word, candidates)
                # (doc, position of the phrase's first word) as one integer: rows come in
                # (doc, position) order, so the keys are sorted and sets are intersected by
                # binary search (np.unique and np.intersect1d sorted 400,000 rows of "said").
                these = (docs.astype(np.int64) << 32) + (positions - shift)
                if len(these) > 1 and not (these[1:] > these[:-1]).all():
                    these = np.unique(these)
                keys = these if keys is None else intersect_sorted(keys, these)
                if not len(keys):
                    break
            if keys is not None and len(keys):
                found.append(distinct_sorted(keys >> 32) + offset)
        return np.concatenate(found) if found else np.empty(0, np.int64)

    def vocabulary(self) -> tuple[list[str], np.ndarray]:
        """Return the index's unstemmed words, sorted, and their document frequencies (built once)."""
        if self._vocabulary is None:
            reader = self.searcher.reader()
            folder = getattr(self.searcher._ix.storage, "folder", None) if self.searcher._ix else None
            merged = vocabulary.load(folder, reader.generation()) if folder else Counter()
            # Segments written before search.vocabulary keep their words in Whoosh's spelling fields.
            for data, _, leaf in self.segments:
                merged.update(data.words(leaf))
            words = sorted(merged)
            self._vocabulary = (words, np.fromiter((merged[w] for w in words), np.int64, len(words)))
        return self._vocabulary

    def term_at(self, fieldname: str, text: str, docs: np.ndarray) -> np.ndarray:
        """Return a term's weights in some documents (sorted), 0 where absent."""
        return self.terms_at(fieldname, [text], docs)[0]

    def terms_at(self, fieldname: str, texts: list[str], docs: np.ndarray) -> np.ndarray:
        """Return several terms' weights in some documents (sorted), a row a term, 0 where absent: each
        segment's postings searched, none copied (feedback weighs 20 words in 300 documents)."""
        found = np.zeros((len(texts), len(docs)))
        keys = [term_arrays.term_key(fieldname, text) for text in texts]
        # Each segment's share of the documents, found at once; a segment with none is not asked.
        bounds = np.searchsorted(docs, [offset for _, offset, _ in self.segments] + [self.size]).tolist()
        for (data, offset, leaf), first, last in zip(self.segments, bounds, bounds[1:]):
            if first < last:
                found[:, first:last] = data.weights_at(leaf, fieldname, texts, keys, docs[first:last] - offset)
        for row in np.flatnonzero(found.any(axis=1)).tolist():     # for warming a new version
            self.term_cache.used("postings", fieldname, texts[row])
        return found

    def doc_frequencies(self, fieldname: str, texts: list[str]) -> np.ndarray:
        """Return the number of documents, deleted ones included (as Whoosh counts), that hold each term."""
        keys = np.fromiter((term_arrays.term_key(fieldname, text) for text in texts), np.uint64, len(texts))
        total = np.zeros(len(texts), np.int64)
        for data, _, leaf in self.segments:
            if data.terms.known:
                total += data.terms.doc_frequencies(keys)
            else:
                total += np.fromiter((leaf.doc_frequency(fieldname, text) for text in texts), np.int64, len(texts))
        return total

    def term(self, fieldname: str, text: str) -> tuple[np.ndarray, np.ndarray]:
        """Return a term's postings over the whole index (global doc numbers; weights as float64)."""
        key = term_arrays.term_key(fieldname, text)
        self.term_cache.used("postings", fieldname, text)
        parts = [(offset, *data.postings(leaf, fieldname, text, key)) for data, offset, leaf in self.segments]
        parts = [part for part in parts if len(part[1])]
        if not parts:
            return np.empty(0, np.int64), np.empty(0, np.float64)
        # Joined first and shifted to global numbers at once: a word's postings are in every
        # segment, and a few numpy calls a segment were most of a rare word's cost.
        sizes = [len(ids) for _, ids, _ in parts]
        ids = np.concatenate([ids for _, ids, _ in parts]).astype(np.int64)
        ids += np.repeat(np.array([offset for offset, _, _ in parts], np.int64), sizes)
        return ids, np.concatenate([weights for _, _, weights in parts], dtype=np.float64)
