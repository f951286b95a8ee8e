"""Group articles into events as they are indexed, and spot near-duplicates.

Each article gets two ids, stored in its document: `event` (the articles that
report the same happening) and `dup` (copies of one text: syndicated or lightly
rewritten). The link is made once, when the article is written, without
re-clustering: the article is compared with the candidates found by two kinds of
keys, kept in a fixed-width column (`evindex`, searched through per-segment tables:
search.event_index) and, for the articles of this writer's last batches, in memory:

- the bands of a MinHash signature of the text's 4-word shingles (datasketch), so
  copies of one text share a band wherever and whenever they were published; a copy
  whose estimated Jaccard similarity is at least DUP_JACCARD joins its original's
  dup group and event;
- its people and countries with its day, so the articles that share a person or
  country within WINDOW_DAYS days are found by a few look-ups.

A candidate joins when people, countries and the words of title and lead agree
enough (see `similarity`); else the article starts an event whose id derives from
its own id. What is needed to compare with an article later (its signature, lead
terms, entities, day and ids: search.event_records) is kept in a column (`evdata`), so
no stored body is decoded. The event table (label, span, sources, entities) is derived from the
members at search time (search.event_store), so a deletion leaves it consistent.
"""
from __future__ import annotations

import hashlib
import heapq
import itertools
import json
import re
import zlib
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import date
from functools import lru_cache

import numpy as np
from datasketch import MinHash
from whoosh.columns import FixedBytesColumn, VarBytesColumn
from whoosh.analysis import RegexTokenizer
from whoosh.fields import COLUMN, ID, KEYWORD, STORED

from chancery.search import analysis, event_index, event_similarity, meetings
from chancery.search.event_records import (PERMUTATIONS, WINDOW_DAYS, Record, band_hashes, band_keys,
                                           decoded)

# Named, not left to datasketch's default: signatures stored in an index must not change
# with the library's version (2.0 changed the default scheme).
SCHEME = "affine32"
SHINGLE = 4
DUP_JACCARD = 0.6
LEAD_WORDS = 60
MAX_TERMS = 40
JOIN_SCORE = 0.42               # tuned on the seeds and the generated corpus (README)
MIN_TEXT = 0.12
TEXT_ALONE = 0.5                # text this similar joins without a shared person
MAX_PER_KEY = 50                # candidates read per band, or per name and day: the latest written
# Of those, the most an article is compared with from memory and from the index each: the
# ones sharing most of its keys, then the latest. Without it a dense archive (1M) met
# up to ~3,600 candidates an article (7 days x ~8 names x 50) and linking bound the build.
# 32, not 200: on 3,000 articles linked against a 100k index the same events and dup
# groups either way (bench/README.md, "Linking at density"), at 0.6 of the time.
MAX_CANDIDATES = 32
MEMORY_RECORDS = 100_000        # articles a linker remembers across writes before it forgets them
SEPARATOR = "\n"              # one term per line, as in the facet fields
WORD_RE = re.compile(r"[^\W_]+")


def _keys_field(stored: bool = False) -> KEYWORD:
    return KEYWORD(stored=stored, scorable=False, analyzer=RegexTokenizer(r"[^\n]+"))


def schema_fields() -> dict:
    """Return the index fields events and meetings need."""
    return {
        "event": ID(stored=True, sortable=True),
        "dup": ID(stored=True, sortable=True),
        "evindex": COLUMN(FixedBytesColumn(event_index.WIDTH)),
        "evdata": COLUMN(VarBytesColumn()),
        "meetings": STORED(),
        "met": _keys_field(stored=True),
    }


@dataclass
class Features:
    """What an article is compared by; computed where the article is read."""
    terms: list[str]
    signature: np.ndarray
    meetings: list[dict] = field(default_factory=list)
    band_list: list[int] | None = None

    def bands(self) -> list[int]:
        """Return the signature's band keys, made once (in the reading workers, off the writer's path)."""
        if self.band_list is None:
            self.band_list = band_keys(band_hashes(self.signature))
        return self.band_list


@lru_cache(maxsize=1)
def _permutations() -> tuple:
    """Return the MinHash permutations of seed 1, made once (datasketch makes them per MinHash)."""
    return MinHash(num_perm=PERMUTATIONS, seed=1, hashfunc=zlib.crc32, scheme=SCHEME).permutations


def _signature(text: str) -> np.ndarray:
    words = WORD_RE.findall(text.lower())
    # The SHINGLE-word windows, joined and encoded through map (a shorter text is one
    # shingle). A repeated shingle is hashed again rather than dropped by a set: a
    # MinHash keeps minima, so the signature is the same, and no set is built.
    if len(words) >= SHINGLE:
        shingles = map(str.encode, map(" ".join, zip(*(words[i:] for i in range(SHINGLE)))))
    else:
        shingles = [" ".join(words).encode()]
    minhash = MinHash(num_perm=PERMUTATIONS, seed=1, hashfunc=zlib.crc32, scheme=SCHEME,
                      permutations=_permutations())
    minhash.update_batch(shingles)
    return minhash.hashvalues.astype(np.uint32)


def features(article) -> Features:
    """Return an article's features, computing them once (batch workers do it ahead)."""
    found = getattr(article, "event_features", None)
    if found is None:
        lead = " ".join(article.body.split(maxsplit=LEAD_WORDS)[:LEAD_WORDS])
        terms = list(dict.fromkeys(analysis.terms(f"{article.title} {lead}")))[:MAX_TERMS]
        found = Features(terms, _signature(f"{article.title}\n{article.body}"),
                         meetings.extract(article.title, article.body, article.persons, article.published))
        found.bands()
        article.event_features = found
    return found


def prepare(items: list) -> list:
    """Compute the features of the articles among items (run in the reading workers)."""
    for item in items:
        if hasattr(item, "body") and hasattr(item, "persons"):
            features(item)
    return items


def _id(prefix: str, text: str) -> str:
    return f"{prefix}-{hashlib.sha1(text.encode('utf-8')).hexdigest()[:12]}"


def event_id(founder_id: str) -> str:
    """Return the id of the event an article founds (when no other event holds it)."""
    return _id("ev", founder_id)


def _day(published: str | None) -> int | None:
    return date.fromisoformat(published).toordinal() if published else None


def jaccard(a: np.ndarray, b: np.ndarray) -> float:
    """Estimate the Jaccard similarity of two MinHash signatures."""
    return float(np.mean(a == b))


def _file(table: dict, key, doc_id: str) -> None:
    """Add an id under a key of a table of one id (a str) or several (a list)."""
    found = table.get(key)
    if found is None:
        table[key] = doc_id
    elif isinstance(found, str):
        table[key] = [found, doc_id]
    else:
        found.append(doc_id)


def _ids(table: dict, key) -> tuple | list:
    """Return the ids under a key of a table that _file fills."""
    found = table.get(key, ())
    return (found,) if isinstance(found, str) else found


def _document(record: Record, bands: list[int], found_meetings: list[dict]) -> dict:
    """Return the event and meeting fields of a linked record's document."""
    pairs = [m["persons"] for m in found_meetings]
    met = sorted({"\t".join(p) for p in pairs} | {name for p in pairs for name in p})
    document = {"event": record.event, "dup": record.dup, "evdata": record.encode(),
                "evindex": event_index.encode(record.day, [key & 0xFFFFFFFF for key in bands],
                                              record.persons | record.countries),
                "meetings": json.dumps(found_meetings, ensure_ascii=False)}
    if met:
        document["met"] = SEPARATOR.join(met)
    return document


def _overlap(a: frozenset, b: frozenset) -> float:
    return len(a & b) / min(len(a), len(b)) if a and b else 0.0


class Linker:
    """Assign each article written an event and a dup group, keeping what it wrote in memory.

    One linker lives as long as its Indexer, so the articles of earlier batches are
    compared without reading them back; older articles are read from the index.
    """

    def __init__(self):
        self.memory: dict[str, Record] = {}
        # Key -> the ids under it: one id as a str, more as a list. Most band keys and
        # many name keys hold one article, and a list each (16 bands an article) made
        # the linker's memory millions of lists for the garbage collector to walk.
        self.by_key: dict[str, str | list[str]] = {}
        self.by_band: dict[int, str | list[str]] = {}
        self.event_sizes: Counter = Counter()
        self.serial: dict[str, int] = {}      # order remembered in, newest highest
        self.counter = itertools.count()
        self.terms = event_similarity.TermTable()
        # Whether every committed article is one this linker wrote and remembers: then
        # the index has nothing to add to memory, and its look-ups are skipped (a
        # fresh `chancery index` run spent a third of its linking time on them).
        self.whole_index: bool | None = None

    # -- one write -------------------------------------------------------------------

    def begin(self, searcher, gone: set[str]) -> None:
        """Start a write: searcher sees the committed index; gone ids are being deleted or replaced."""
        if len(self.memory) > MEMORY_RECORDS:
            # Everything remembered is committed by now and can be read back: start afresh.
            self.memory.clear()
            self.by_key.clear()
            self.by_band.clear()
            self.event_sizes.clear()
            self.serial.clear()
            self.whole_index = False
        self.searcher = searcher
        self.reader = searcher.reader()
        if self.whole_index is None:
            self.whole_index = self.reader.doc_count_all() == 0
        self.column = self.reader.column_reader("evdata") if self.reader.has_column("evdata") else None
        self.gone = gone
        # Document frequencies move slowly: keep them while the index grows by under 5 %.
        docs = self.reader.doc_count()
        if not hasattr(self, "df_docs") or abs(docs - self.df_docs) > 0.05 * max(1, self.df_docs):
            self.terms.forget_committed()
            self.df_docs = docs
        self.terms.new_batch()
        self.batch_docs = 0
        self.committed_docs = self.reader.doc_count()
        for doc_id in gone:
            self.forget(doc_id)

    def forget(self, doc_id: str) -> None:
        """Drop an article from memory (it is deleted or about to be replaced)."""
        record = self.memory.pop(doc_id, None)
        self.serial.pop(doc_id, None)
        if record is not None:
            self.event_sizes[record.event] -= 1

    def link(self, article) -> dict:
        """Return the event fields of an article's document, linking it to an event."""
        found = features(article)
        record = Record(article.id, "", "", _day(article.published), frozenset(article.persons),
                        frozenset(article.countries), tuple(found.terms), found.signature)
        bands = found.bands()
        names = record.persons | record.countries
        copy = self._best_copy(record, self._candidates(
            bands, self.by_band, record.id, lambda: event_index.band_candidates(
                self.reader, bands, MAX_PER_KEY, MAX_CANDIDATES)))
        nearby = []
        if copy is None:
            # A copy that shares no band (about 1 in 9 at a Jaccard similarity of 0.6) is
            # still found among the articles of its people and days, compared anyway.
            nearby = self._candidates(record.probe_keys(), self.by_key, record.id, lambda: event_index.name_candidates(
                self.reader, names, record.day, MAX_PER_KEY, MAX_CANDIDATES))
            copy = self._best_copy(record, nearby)
        if copy is not None:
            record.event, record.dup = copy.event, copy.dup
        else:
            record.dup = _id("dup", article.id)
            joined = self._best_event(record, nearby)
            record.event = joined.event if joined is not None else self._new_event(article.id)
        self._remember(record, bands)
        return _document(record, bands, found.meetings)

    def respelled(self, article, raw: bytes | None, stored_meetings: str | None, rename) -> dict:
        """Return the event fields of a stored article whose people were respelled: its event, new names.

        Its text is unchanged, so its signature, lead terms, event and dup group are
        too: they are taken from its evdata instead of computed and linked again (a
        1M import respelled 20,000 stored articles in one batch). Its meetings' people
        are renamed with rename(names). Without evdata it is linked as a new article.
        """
        if not raw:
            return self.link(article)
        record = replace(decoded(raw), persons=frozenset(article.persons))
        found: dict[tuple, dict] = {}
        for meeting in json.loads(stored_meetings or "[]"):
            pair = tuple(sorted(rename(meeting["persons"])))
            if len(pair) == 2:
                found.setdefault(pair, {**meeting, "persons": list(pair)})
        bands = band_keys(band_hashes(record.signature))
        if record.id in self.memory:
            # Found under its new names too from now on (its old keys lead to it as well).
            self.memory[record.id] = record
            for key in record.keys():
                if record.id not in _ids(self.by_key, key)[-MAX_PER_KEY:]:
                    _file(self.by_key, key, record.id)
        return _document(record, bands, list(found.values()))

    # -- candidates --------------------------------------------------------------------

    def _remember(self, record: Record, bands: list[int]) -> None:
        self.memory[record.id] = record
        self.serial[record.id] = next(self.counter)
        self.event_sizes[record.event] += 1
        for key in record.keys():
            _file(self.by_key, key, record.id)
        for band in bands:
            _file(self.by_band, band, record.id)
        self.batch_docs += 1
        self.terms.count(record)

    def _candidates(self, keys: list, table: dict, own_id: str, from_index) -> list[Record]:
        """Return the remembered records under keys, and the committed ones from_index() finds."""
        # The keys' ids gathered first and counted once: a Counter.update a key was a
        # quarter of linking (32 keys an article, most holding one id).
        found_ids: list[str] = []
        for key in keys:
            ids = table.get(key)
            if ids is None:
                continue
            if isinstance(ids, str):
                found_ids.append(ids)
            else:
                found_ids.extend(ids[-MAX_PER_KEY:])
        hits = Counter(found_ids)
        hits.pop(own_id, None)
        # Those sharing most of the article's keys first, then the latest remembered.
        chosen = [doc_id for doc_id in hits if doc_id in self.memory]
        if len(chosen) > MAX_CANDIDATES:
            # As (hits, serial, id) tuples compared in C: a key function per id cost a tenth of linking.
            ranked = zip(map(hits.__getitem__, chosen), map(self.serial.__getitem__, chosen), chosen)
            chosen = [doc_id for _, _, doc_id in heapq.nlargest(MAX_CANDIDATES, ranked)]
        found = {doc_id: self.memory[doc_id] for doc_id in chosen}
        if self.whole_index or self.column is None:
            return list(found.values())
        # The latest written of a key's articles are enough to find an event it already
        # has; reading every one made a popular person's days cost more with every article.
        for docnum in from_index():
            raw = self.column[docnum]
            if not raw:
                continue
            record = decoded(raw)
            if record.id != own_id and record.id not in self.gone and record.id not in found \
                    and record.id not in self.memory:
                found[record.id] = record
        return list(found.values())

    def _best_copy(self, record: Record, candidates: list[Record]) -> Record | None:
        if not candidates:
            return None
        # All candidates' signatures at once (jaccard, row by row), as counts of equal values.
        equal = (np.array([other.signature for other in candidates]) == record.signature).sum(axis=1).tolist()
        least = DUP_JACCARD * len(record.signature)
        scored = [(count, other.id, other) for count, other in zip(equal, candidates) if count >= least]
        return max(scored, key=lambda item: (item[0], item[1]))[2] if scored else None

    def _best_event(self, record: Record, candidates: list[Record]) -> Record | None:
        best, best_score = None, 0.0
        for other, text in zip(candidates, self._texts(record, candidates).tolist()):
            score = self._score(record, other, text)
            if score > best_score or (score == best_score and best is not None and other.id < best.id):
                best, best_score = other, score
        return best if best_score >= JOIN_SCORE else None

    def similarity(self, a: Record, b: Record) -> float:
        """Return how likely two articles report one happening (0 when they cannot)."""
        return self._score(a, b, float(self._texts(a, [b])[0]))

    @staticmethod
    def _score(a: Record, b: Record, text: float) -> float:
        shared_people = len(a.persons & b.persons)
        if text < MIN_TEXT or (not shared_people and text < TEXT_ALONE):
            return 0.0
        gap = abs(a.day - b.day) if a.day is not None and b.day is not None else WINDOW_DAYS
        return 0.45 * text + 0.35 * _overlap(a.persons, b.persons) + 0.2 * _overlap(a.countries, b.countries) \
            - 0.02 * gap

    def _texts(self, record: Record, candidates: list[Record]):
        """Return the idf-weighted cosine of the record's lead terms with each candidate's."""
        total = self.committed_docs + self.batch_docs
        committed = (lambda terms: event_similarity.doc_frequencies(self.reader, terms)) if self.committed_docs \
            else (lambda terms: np.zeros(len(terms), np.int64))
        return event_similarity.cosines(self.terms.of(record), [self.terms.of(other) for other in candidates],
                                        lambda ids: self.terms.weights(ids, total, committed))

    def _new_event(self, doc_id: str) -> str:
        """Return a fresh event id derived from the founding article's id."""
        for attempt in range(1, 100):
            event = event_id(doc_id if attempt == 1 else f"{doc_id}#{attempt}")
            if not self._event_used(event, doc_id):
                return event
        raise RuntimeError(f"no free event id for {doc_id!r}")

    def _event_used(self, event: str, doc_id: str) -> bool:
        if self.event_sizes[event] > 0:
            return True
        if self.whole_index or ("event", event) not in self.reader:
            return False
        for docnum in self.reader.postings("event", event).all_ids():
            if not self.reader.is_deleted(docnum):
                other = self.reader.stored_fields(docnum).get("id")
                if other != doc_id and other not in self.gone:
                    return True
        return False
