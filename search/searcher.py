"""Search the index: evaluate queries with arrays, filter, count facets, rank, page.

A query tree is evaluated into a boolean mask and a score per document
(search.evaluator), reranked (search.ranking), filtered, and its facets counted with
numpy over the whole result set (search.facets); a facet in "or" mode is counted
without its own selection, as a list of checkboxes is.
"""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
from rapidfuzz import process
from rapidfuzz.distance import Levenshtein
from whoosh import query as wq

from chancery.search import analysis, entities, event_store, indexer, ranking, schema, warming
from chancery.search.evaluator import WEIGHTING, Evaluator, dense
from chancery.search.snippets import snippet
from chancery.search.query import TEXT_FIELDS, QueryError, fold, parse, resolve_facet_value, text_terms
from chancery.search.facets import Selection
from chancery.search.snapshot import DEFAULT_CACHE_MB, NO_DATE, Snapshot, TermCache

LOG = logging.getLogger("chancery")
SORTS = ("relevance", "newest", "oldest")
COLLAPSES = ("event", "duplicates")
COUNTS = ("articles", "events")
OPS = ("and", "or")
MAX_PER_PAGE = 100
MAX_FACET_SIZE = 100
MAX_DEPTH = 10_000
MAX_EDITS = 2
SUGGEST_WORDS = 12             # a longer query (a pasted text) gets no spelling suggestion


@dataclass
class SearchRequest:
    q: str = ""
    filters: dict[str, list[str]] = field(default_factory=dict)
    ops: dict[str, str] = field(default_factory=dict)
    date_from: date | None = None
    date_to: date | None = None
    sort: str | None = None
    page: int = 1
    per_page: int = 10
    facet_size: int = 10
    with_facets: bool = True      # the benchmarks time searches without facets or snippets
    with_snippets: bool = True
    collapse: str | None = None    # events: one result per event or per dup group
    count: str = "articles"        # events: facet counts count events
    met: list[str] = field(default_factory=list)

    def validate(self) -> None:
        """Raise QueryError naming the parameter that is out of bounds."""
        checks = [
            (1 <= self.per_page <= MAX_PER_PAGE, "per_page", f"per_page must be between 1 and {MAX_PER_PAGE}"),
            (1 <= self.facet_size <= MAX_FACET_SIZE, "facet_size",
             f"facet_size must be between 1 and {MAX_FACET_SIZE}"),
            (self.page >= 1, "page", "page must be 1 or more"),
            (self.page * self.per_page <= MAX_DEPTH, "page",
             f"results beyond the first {MAX_DEPTH} cannot be paged to; narrow the search"),
            (self.sort in (None, *SORTS), "sort", f"sort must be one of {', '.join(SORTS)}"),
            (not (self.date_from and self.date_to and self.date_from > self.date_to), "from",
             "from must not be after to"),
        ]
        checks += [(self.collapse in (None, *COLLAPSES), "collapse", f"collapse must be one of {', '.join(COLLAPSES)}"),
                   (self.count in COUNTS, "count", f"count must be one of {', '.join(COUNTS)}")]
        checks += [(op in OPS, f"{facet}_op", f"{facet}_op must be 'and' or 'or'") for facet, op in self.ops.items()]
        for ok, parameter, message in checks:
            if not ok:
                raise QueryError(message, parameter)


class Service:
    """The read (and write) side of one index, for one process or thread.

    params None ranks by Whoosh's BM25F alone (to compare with Whoosh's own search).

    Whoosh searchers are not safe to share between threads, so each thread gets
    its own searcher and snapshot; segment arrays are shared through the cache.
    """

    def __init__(self, index_dir: str | Path, lock_timeout: float = 10.0, cache_mb: float = DEFAULT_CACHE_MB,
                 params: ranking.Params | None = ranking.DEFAULT, with_events: bool = True):
        self.index_dir = Path(index_dir)
        self.params = params
        self.lock_timeout = lock_timeout
        self.with_events = with_events
        self._terms = TermCache(cache_mb)
        if not indexer.exists(self.index_dir):
            # Serving may fill a new index through POST, but a mistyped folder would
            # otherwise pass unnoticed as an empty index.
            LOG.warning("no index in %s: starting an empty one", self.index_dir)
        self.ix = indexer.open_index(self.index_dir, create=True)
        self._local = threading.local()
        self._segment_cache: dict = {}
        self._facet_tables: dict = {}         # facet -> FacetTable, shared by this service's versions
        self._cache_lock = threading.Lock()
        self._ready = warming.Ready()
        self._prepared: int | None = None

    # -- the snapshot of the current index version --------------------------------

    def snapshot(self) -> Snapshot:
        """Return the snapshot of the newest committed version, refreshing when it changed."""
        local = self._local
        current = indexer.version(self.ix)
        snap = getattr(local, "snap", None)
        if snap is not None and snap.version == current:
            return snap
        previous = getattr(local, "searcher", None)
        snap = self._ready.take(current)
        if snap is None:
            snap = self._build(current)
            self._prepared = current      # built here: the warmer need not build it again
        local.searcher = snap.searcher
        if previous is not None:
            previous.close()
        local.snap = snap
        return snap

    def _build(self, current: int) -> Snapshot:
        # A fresh searcher, not searcher.refresh(): refresh reuses segment readers by
        # segment and so misses deletions made in an existing segment.
        searcher = self.ix.searcher(weighting=WEIGHTING)
        with self._cache_lock:
            snap = Snapshot(searcher, self._segment_cache, self._terms, self._facet_tables)
        snap.version = current
        return snap

    def prepare(self) -> bool:
        """Build the newest version's snapshot before a request needs it; return whether there was one to build."""
        current = indexer.version(self.ix)
        if current == self._prepared:
            return False
        if self._prepared is None:
            entities.load()         # a query's entities are found with them (1.5 s on a first query)
        with self._cache_lock:
            known = set(self._segment_cache)
        snap = self._build(current)
        try:
            warming.warm_terms(snap, known, warming.recent_terms(self._terms))
            for index in snap.facets.values():
                index.prepare()
            if self.with_events:
                for name in event_store.GROUPS:       # collapse and event counts need them
                    event_store.groups(snap, name)
        except BaseException:
            snap.searcher.close()
            raise
        self._ready.offer(snap)
        self._prepared = current
        return True

    # -- search --------------------------------------------------------------------

    def search(self, request: SearchRequest) -> dict:
        """Run a search and return the contract's response."""
        started = time.perf_counter()
        request.validate()
        snap = self.snapshot()
        tree, scores, filters, facet_masks, base, result = self._select(snap, request)
        sort = request.sort or ("relevance" if request.q.strip() else "newest")
        total = int(result.sum())
        start = (request.page - 1) * request.per_page
        if request.collapse:
            # Every match is ordered, then the first of each event (or dup group) kept.
            group = "event" if request.collapse == "event" else "dup"
            firsts = event_store.first_per_group(self._order(snap, result, scores, sort, total),
                                                 event_store.groups(snap, group).codes)
            total, docs = len(firsts), firsts[start:start + request.per_page]
        else:
            docs = self._order(snap, result, scores, sort, start + request.per_page)[start:]
        terms = text_terms(tree)
        response = {
            "query": {"q": request.q, "filters": filters, "sort": sort, "page": request.page,
                      "per_page": request.per_page},
            "total": total,
            "results": [self._result(snap, int(doc), float(scores[doc]), terms if request.with_snippets else None,
                                     request.collapse) for doc in docs],
            "facets": self._facets(snap, base, result, facet_masks, filters, request) if request.with_facets else {},
            "suggestion": self.suggest(request.q, snap) if request.q.strip() else None,
        }
        response["took_ms"] = round((time.perf_counter() - started) * 1000, 2)
        return response

    def _select(self, snap: Snapshot, request: SearchRequest) -> tuple:
        """Return the query tree, scores, resolved filters, facet masks, base and result masks."""
        tree = parse(request.q, snap.searcher, {f: snap.facets[f].values for f in schema.FACETS}, snap.vocabulary)
        matched, scores = Evaluator(snap, self.params)(tree)
        if self.params is not None:
            matched, scores = ranking.rerank(snap, tree, request.q, matched, scores, self.params)
        filters = {facet: [resolve_facet_value(facet, v, snap.facets[facet].values) for v in values]
                   for facet, values in request.filters.items() if values}
        facet_masks = {facet: self._facet_mask(snap, facet, values, request.ops.get(facet, "and"))
                       for facet, values in filters.items()}
        date_mask = self._date_mask(snap, request.date_from, request.date_to)
        base = matched & date_mask
        if request.met:
            met = [event_store.canonical_person(name) for name in request.met]
            filters["met"] = met
            base &= event_store.met_mask(snap, met, filters.get("person", []))
        result = base.copy()
        for mask in facet_masks.values():
            result &= mask
        return tree, scores, filters, facet_masks, base, result

    def matching(self, request: SearchRequest) -> tuple[Snapshot, np.ndarray]:
        """Return the snapshot and the mask of the documents a request matches (no ranking)."""
        request.validate()
        snap = self.snapshot()
        return snap, self._select(snap, request)[-1]

    def _facet_mask(self, snap: Snapshot, facet: str, values: list[str], op: str) -> np.ndarray:
        masks = [dense(snap, snap.facets[facet].docs(value)) for value in values]
        combine = np.logical_or if op == "or" else np.logical_and
        return combine.reduce(masks)

    def _date_mask(self, snap: Snapshot, start: date | None, end: date | None) -> np.ndarray:
        mask = snap.live.copy()
        if start is not None:
            mask &= snap.days >= start.toordinal()
        if end is not None:
            mask &= (snap.days <= end.toordinal()) & (snap.days != NO_DATE)
        return mask

    def _order(self, snap: Snapshot, mask: np.ndarray, scores: np.ndarray, sort: str, limit: int) -> np.ndarray:
        docs = np.flatnonzero(mask)
        if len(docs) > limit and sort == "relevance":
            # Keep every document scoring at least the limit-th score, so ties at the
            # edge are ordered by doc number, as Whoosh orders them.
            threshold = np.partition(scores[docs], len(docs) - limit)[len(docs) - limit]
            docs = docs[scores[docs] >= threshold]
        if sort == "relevance":
            order = np.lexsort((docs, -scores[docs]))
        else:
            days = snap.days[docs].astype(np.int64)
            undated_last = np.where(days == NO_DATE, 1, 0)
            key = -days if sort == "newest" else days
            order = np.lexsort((docs, -scores[docs], key, undated_last))
        return docs[order][:limit]

    def _result(self, snap: Snapshot, doc: int, score: float, terms: set[str] | None,
                collapse: str | None = None) -> dict:
        """Return one result; terms None means no snippet (the body is not even decoded)."""
        fields = snap.searcher.stored_fields(doc)
        if terms is None:
            fields = {**fields, "body": ""}
        article = schema.to_article(fields)
        return {
            "id": article.id, "title": article.title, "source": article.source,
            "published": article.published, "url": article.url, "score": round(score, 4),
            "snippet": snippet(article.body, terms) if terms is not None else "",
            "persons": article.persons, "countries": article.countries, "topics": article.topics,
            **event_store.result_extras(snap, doc, collapse),
        }

    def _facets(self, snap: Snapshot, base: np.ndarray, result: np.ndarray, facet_masks: dict,
                filters: dict, request: SearchRequest) -> dict:
        facets = {}
        chosen: dict = {}           # facets counted over the same documents share one Selection
        for facet in schema.FACETS:
            # A facet in "or" mode ignores its own selection when counted.
            ignored = facet if facet in facet_masks and request.ops.get(facet, "and") == "or" else None
            if ignored not in chosen:
                mask = base.copy()
                for other, other_mask in facet_masks.items():
                    if other != ignored:
                        mask &= other_mask
                chosen[ignored] = Selection(mask, snap.live)
            facets[facet] = self._buckets(snap, facet, chosen[ignored], filters.get(facet, []),
                                          request.facet_size, request.count)
        if request.count == "events":
            dated = result & (snap.month_of >= 0)
            docs = np.flatnonzero(dated)
            months = event_store.distinct_counts(docs, snap.month_of[docs], len(snap.months), dated,
                                                 event_store.groups(snap).codes)
        else:
            # The result's documents, as the facets counted with no facet ignored.
            months = (chosen.get(None) or Selection(result, snap.live)).histogram(snap.month_of, len(snap.months))
        facets["published"] = [{"value": month, "count": int(count)}
                               for month, count in zip(snap.months, months) if count]
        return facets

    def _buckets(self, snap: Snapshot, facet: str, chosen: Selection, selected: list[str], size: int,
                 count: str = "articles") -> list[dict]:
        index = snap.facets[facet]
        if count == "events":
            counts = event_store.distinct_counts(index.pair_doc, index.pair_value, len(index.values), chosen.mask,
                                                 event_store.groups(snap).codes)
        else:
            counts = index.counts(chosen)
        chosen = index.top(counts, size)
        chosen += [index.lookup[v] for v in selected if v in index.lookup and index.lookup[v] not in chosen]
        buckets = [{"value": index.values[i], "count": int(counts[i]), "selected": index.values[i] in selected}
                   for i in chosen]
        buckets += [{"value": v, "count": 0, "selected": True} for v in selected if v not in index.lookup]
        if facet == "topic":
            for bucket in buckets:
                bucket["label"] = entities.topic_label(bucket["value"]) or bucket["value"]
        return buckets

    # -- suggestions, articles, similar, facet values -------------------------------

    def suggest(self, text: str, snap: Snapshot | None = None) -> str | None:
        """Return the query with misspelt words corrected from the index's words, if any."""
        if len(text.split()) > SUGGEST_WORDS:
            return None
        snap = snap or self.snapshot()
        # A word the query's ranking just counted in live articles is known without a look-up.
        counted = ranking.document_counts(snap)
        words, changed = [], False
        for word in text.split():
            plain = word.isalpha()
            stems = analysis.terms(word) if plain else []
            known = not stems or any(counted.get(stem, 0) > 0 for stem in stems) \
                or any(snap.doc_frequencies(f, stems).any() for f in TEXT_FIELDS)
            correction = None if known else _correct(snap, fold(word))
            changed = changed or correction is not None
            words.append(correction or (word.lower() if plain else word))
        return " ".join(words) if changed else None

    def article(self, doc_id: str) -> dict | None:
        """Return a whole article with its entities, or None."""
        snap = self.snapshot()
        doc = snap.docnum.get(doc_id)
        if doc is None:
            return None
        fields = snap.searcher.stored_fields(doc)
        return {**schema.to_article(fields).to_dict(), **event_store.article_extras(fields)}

    def similar(self, doc_id: str, size: int = 5) -> list[dict] | None:
        """Return the articles most like one, by its key terms; None when it is unknown."""
        snap = self.snapshot()
        doc = snap.docnum.get(doc_id)
        if doc is None:
            return None
        key_terms = snap.searcher.key_terms([doc], "body", numterms=15)
        tree = wq.Or([wq.Term(f, term, boost=weight) for term, weight in key_terms for f in ("title", "body")])
        mask, scores = Evaluator(snap, self.params)(tree)
        mask[doc] = False
        return [self._result(snap, int(d), float(scores[d]), set()) for d in
                self._order(snap, mask, scores, "relevance", size)]

    def facet_values(self, facet: str, prefix: str = "", size: int = 10) -> list[dict]:
        """Return a facet's values over the whole corpus, matching an alias-aware prefix."""
        if facet not in schema.FACETS:
            raise QueryError(f"unknown facet {facet!r}: use one of {', '.join(schema.FACETS)}", "facet")
        snap = self.snapshot()
        index = snap.facets[facet]
        counts = index.counts(snap.live)
        wanted = fold(prefix.strip())
        names = entities.gazetteer().aliases
        buckets = []
        for i in index.ranked(counts):
            value = index.values[i]
            spellings = {value} | names.get(value, set())
            if facet == "topic":
                spellings.add(entities.topic_label(value) or value)
            if not wanted or any(_word_prefix(fold(s), wanted) for s in spellings):
                bucket = {"value": value, "count": int(counts[i])}
                if facet == "topic":
                    bucket["label"] = entities.topic_label(value) or value
                buckets.append(bucket)
                if len(buckets) >= size:
                    break
        return buckets

    def health(self) -> dict:
        """Return status, document count and index version."""
        snap = self.snapshot()
        return {"status": "ok", "documents": int(snap.live.sum()), "index_version": snap.version}

    # -- writes ----------------------------------------------------------------------

    def write(self, articles=(), delete_ids=()) -> indexer.WriteResult:
        """Add, replace or delete articles through the index lock."""
        result = indexer.Indexer(self.index_dir, self.lock_timeout, self.with_events).write(articles, delete_ids)
        self.ix = indexer.open_index(self.index_dir)
        return result


def _correct(snap: Snapshot, word: str) -> str | None:
    """Return the indexed word nearest to a misspelt one: fewest edits, then most documents."""
    words, frequencies = snap.vocabulary()
    found = process.extract(word, words, scorer=Levenshtein.distance, score_cutoff=MAX_EDITS, limit=50)
    # Word counts only grow (search.vocabulary): a word whose articles are all deleted is no suggestion.
    reader = snap.searcher.reader()
    found = [hit for hit in found if any((f, s) in reader for f in TEXT_FIELDS for s in analysis.terms(hit[0]))]
    if not found:
        return None
    return min(found, key=lambda hit: (hit[1], -frequencies[hit[2]], hit[0]))[0]


def _word_prefix(text: str, prefix: str) -> bool:
    return text.startswith(prefix) or any(word.startswith(prefix) for word in text.split())
