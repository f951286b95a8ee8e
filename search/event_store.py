"""Events and meetings on the read side: per-document event arrays, collapse, the event table.

The indexer stores each article's event and dup-group ids (search.events); here
they are read once per segment into arrays, like the facets, and everything about
an event (its size, sources, date span, label, entities) is derived from its live
members. So a deletion, a replacement or a new member changes the event as soon as
the new index version is searched, with nothing else to keep in step.
"""
from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from datetime import date

import numpy as np

from chancery.search import analysis, entities, meetings, schema, segment_files
from chancery.search.events import WINDOW_DAYS
from chancery.search.snapshot import NO_DATE

GROUPS = ("event", "dup")
MAX_SPAN_ARTICLES = 50
_SEGMENTS: dict = {}     # (segment id, field) -> the segment's group hash per document


def group_hash(group_id: str) -> int:
    """Return the 64-bit number a group id is known by in arrays (never 0: 0 is "no group")."""
    return segment_files.hash64(group_id.encode("utf-8", "surrogatepass")) or 1


@dataclass
class Groups:
    """One grouping (events or dup groups) over a snapshot's documents."""
    hashes: np.ndarray       # sorted group hashes of the live documents: code c is hashes[c]
    codes: np.ndarray        # group code per document, -1 when it has none or is deleted
    order: np.ndarray        # live docs sorted by code
    ptr: np.ndarray          # docs of code c: order[ptr[c]:ptr[c + 1]]
    snap: object = None
    name: str = "event"

    def members(self, code: int) -> np.ndarray:
        return self.order[self.ptr[code]:self.ptr[code + 1]]

    def id(self, code: int) -> str:
        """Return a group's id, read from one of its members."""
        return self.snap.searcher.stored_fields(int(self.members(code)[0]))[self.name]

    def code(self, group_id: str) -> int | None:
        """Return the code of a group id, None when no live document has it."""
        wanted = group_hash(group_id)
        at = int(np.searchsorted(self.hashes, wanted))
        if at < len(self.hashes) and int(self.hashes[at]) == wanted and self.id(at) == group_id:
            return at
        return None


def _read_hashes(name: str):
    def read(leaf) -> np.ndarray:
        size = leaf.doc_count_all()
        if not leaf.has_column(name):
            return np.zeros(size, np.uint64)
        column = leaf.column_reader(name, translate=True)
        return np.fromiter((group_hash(v) if (v := column[doc]) else 0 for doc in range(size)), np.uint64, size)
    return read


def _saved_hashes(leaf, name: str) -> np.ndarray:
    """Return a segment's group hashes from beside it, read from its column and saved the first time."""
    return segment_files.segment_array(leaf, f"group-{name}", _read_hashes(name))


def _order(hashes: np.ndarray) -> np.ndarray:
    """Return a segment's documents sorted by group hash (stable: by document within a hash)."""
    return np.argsort(hashes, kind="stable").astype(np.int32)


def _sorted_by_hash(hashes: np.ndarray, order: np.ndarray) -> bool:
    """Return whether order lists every document once, by (hash, document): what _order saves."""
    if order.ndim != 1 or order.dtype.kind not in "iu" or len(order) != len(hashes):
        return False
    if not len(order):
        return True
    if order.min() < 0 or order.max() >= len(hashes):
        return False
    keys = hashes[order]
    return bool(np.all((keys[1:] > keys[:-1]) | ((keys[1:] == keys[:-1]) & (order[1:] > order[:-1]))))


def _hashes_and_order(leaf, name: str) -> tuple[np.ndarray, np.ndarray]:
    """Return a segment's group hash per document (0: none) and its documents sorted by hash, saved once."""
    # Reading a million documents' ids from their column costs seconds in every new
    # worker; their hashes as an array beside the segment load in milliseconds.
    hashes = _saved_hashes(leaf, name)
    # Sorted once per segment, so a version merges sorted runs (3.5x faster than sorting a million).
    order = segment_files.segment_array(leaf, f"group-{name}-order", lambda _: _order(hashes))
    if not _sorted_by_hash(hashes, order):
        order = _order(hashes)              # a damaged file: sorted again, not trusted
    return hashes, order


def _segment_hashes(leaf, name: str) -> tuple[np.ndarray, np.ndarray]:
    """Return _hashes_and_order of a segment, kept while the segment is searched."""
    key = (leaf.segment().segment_id(), name)
    found = _SEGMENTS.get(key)
    if found is None:
        found = _SEGMENTS[key] = _hashes_and_order(leaf, name)
    return found


def save_hashes(leaf) -> None:
    """Save a segment's group hashes and their order beside it unless they are (a first worker reads none)."""
    for name in GROUPS:
        _hashes_and_order(leaf, name)


def groups(snap, name: str = "event") -> Groups:
    """Return a snapshot's events (or dup groups), built once per snapshot from per-segment hashes."""
    cache = snap.__dict__.setdefault("_groups", {})
    if name not in cache:
        parts = [(_segment_hashes(leaf, name), offset) for _, offset, leaf in snap.segments]
        live_keys = {(leaf.segment().segment_id(), n) for _, _, leaf in snap.segments for n in GROUPS}
        for key in [k for k in list(_SEGMENTS) if k not in live_keys]:
            _SEGMENTS.pop(key, None)
        hashes = np.concatenate([h for (h, _), _ in parts]) if parts else np.zeros(0, np.uint64)
        # Each segment's live grouped documents in (hash, document) order; one stable sort
        # merges the runs, so a group's members stay in document order.
        runs = [order[(h[order] != 0) & snap.live[offset + order]].astype(np.int64) + offset
                for (h, order), offset in parts]
        docs = np.concatenate(runs) if runs else np.zeros(0, np.int64)
        order = docs[np.argsort(hashes[docs], kind="stable")]
        ordered = hashes[order]
        starts = np.flatnonzero(np.concatenate([[True], ordered[1:] != ordered[:-1]])) if len(order) \
            else np.zeros(0, np.int64)
        codes = np.full(len(hashes), -1, np.int32)
        codes[order] = np.repeat(np.arange(len(starts), dtype=np.int32), np.diff(np.append(starts, len(order))))
        ptr = np.append(starts, len(order))
        cache[name] = Groups(ordered[starts], codes, order, ptr, snap, name)
    return cache[name]


def first_per_group(docs: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """Return, in order, the first of the ordered docs of each group (ungrouped docs stand alone)."""
    keys = np.where(codes[docs] >= 0, codes[docs], -1 - np.arange(len(docs)))
    _, first = np.unique(keys, return_index=True)
    return docs[np.sort(first)]


def distinct_counts(pair_doc: np.ndarray, pair_value: np.ndarray, size: int, mask: np.ndarray,
                    codes: np.ndarray) -> np.ndarray:
    """Count, for each value, the distinct groups of the masked docs that hold it."""
    chosen = mask[pair_doc]
    docs, values = pair_doc[chosen], pair_value[chosen].astype(np.int64)
    keys = np.where(codes[docs] >= 0, codes[docs], len(codes) + docs).astype(np.int64)
    unique = np.unique(values * (2 * len(codes) + 1) + keys)
    return np.bincount(unique // (2 * len(codes) + 1), minlength=size)


def summary(snap, doc: int, name: str = "event") -> dict | None:
    """Return {id, size, sources, first, last} of a document's event."""
    found = groups(snap, name)
    code = int(found.codes[doc])
    if code < 0:
        return None
    members = found.members(code)
    days = snap.days[members]
    dated = days[days != NO_DATE]
    sources = snap.facets["source"]
    names = sorted({sources.values[v] for v in sources.pair_value[np.isin(sources.pair_doc, members)]})
    return {"id": found.id(code), "size": int(len(members)), "sources": names,
            "first": date.fromordinal(int(dated.min())).isoformat() if len(dated) else None,
            "last": date.fromordinal(int(dated.max())).isoformat() if len(dated) else None}


def result_extras(snap, doc: int, collapse: str | None) -> dict:
    """Return what a collapsed result adds: its event, or the number of copies it stands for."""
    if collapse == "event":
        return {"event": summary(snap, doc)}
    if collapse == "duplicates":
        found = groups(snap, "dup")
        code = int(found.codes[doc])
        return {"copies": int(len(found.members(code))) if code >= 0 else 1}
    return {}


def _label(members: list[dict]) -> str:
    """Return the most representative title: the one sharing most words with the others."""
    words = [set(analysis.terms(m["title"])) for m in members]

    def shared(i: int) -> int:
        return sum(len(words[i] & w) for j, w in enumerate(words) if j != i)

    best = max(range(len(members)), key=lambda i: (shared(i), -i))
    return members[best]["title"]


def describe(snap, event_id: str) -> dict | None:
    """Return an event with its articles in time order, or None when it has no live article."""
    found = groups(snap, "event")
    code = found.code(event_id)
    members = found.members(code) if code is not None else ()
    if not len(members):
        return None
    articles = [schema.to_article(snap.searcher.stored_fields(int(doc))) for doc in members]
    articles.sort(key=lambda a: (a.published is None, a.published or "", a.id))
    rows = [{"id": a.id, "title": a.title, "source": a.source, "published": a.published, "url": a.url,
             "dup": snap.searcher.stored_fields(int(snap.docnum[a.id])).get("dup")} for a in articles]
    dates = [a.published for a in articles if a.published]

    def union(attribute: str) -> list[str]:
        counts = Counter(v for a in articles for v in getattr(a, attribute))
        return [value for value, _ in counts.most_common()]

    return {"id": event_id, "label": _label(rows), "size": len(rows),
            "first": dates[0] if dates else None, "last": dates[-1] if dates else None,
            "dates": _span(articles, dates),
            "sources": sorted({a.source for a in articles if a.source}),
            "persons": union("persons"), "countries": union("countries"), "topics": union("topics"),
            "articles": rows}


def _span(articles: list, dates: list[str]) -> list:
    """Return [start, end] of the happening: publication dates, widened by the days the articles
    give for their people ("Kerry, who arrived on Wednesday") up to WINDOW_DAYS before the first report."""
    if not dates:
        return [None, None]
    earliest = date.fromordinal(date.fromisoformat(dates[0]).toordinal() - WINDOW_DAYS).isoformat()
    told = set(dates)
    for article in articles[:MAX_SPAN_ARTICLES]:
        if not article.published:
            continue
        names = [name.split()[-1] for name in article.persons]
        for sentence in meetings.sentences(article.body):
            if any(name in sentence for name in names):
                found = meetings.sentence_date(sentence, article.published)
                if found and earliest <= found <= dates[-1]:
                    told.add(found)
    return [min(told), max(told)]


def article_extras(fields: dict) -> dict:
    """Return the event id and meetings of a stored document, for the article's JSON."""
    return {"event": fields.get("event"), "meetings": json.loads(fields.get("meetings") or "[]")}


def met_mask(snap, met: list[str], persons: list[str]) -> np.ndarray:
    """Return the docs where each met person met one of the filtered persons (anyone, without any)."""
    reader = snap.searcher.reader()
    mask = snap.live.copy()
    for other in met:
        terms = ["\t".join(sorted((person, other))) for person in persons if person != other] if persons \
            else [other]
        found = np.zeros(snap.size, bool)
        for term in terms:
            if ("met", term) in reader:
                found[np.fromiter(reader.postings("met", term).all_ids(), np.int64)] = True
        mask &= found
    return mask


def counterparts(snap, mask: np.ndarray, person: str) -> list[dict]:
    """Return the people a person met in the masked docs: counts, first and last dates, articles."""
    docs = np.flatnonzero(mask & met_mask(snap, [person], []))
    table: dict[str, dict] = {}
    for doc in docs:
        fields = snap.searcher.stored_fields(int(doc))
        for meeting in json.loads(fields.get("meetings") or "[]"):
            if person not in meeting["persons"]:
                continue
            other = next(p for p in meeting["persons"] if p != person)
            row = table.setdefault(other, {"person": other, "count": 0, "first": None, "last": None,
                                           "places": [], "articles": []})
            row["count"] += 1
            row["articles"].append({"id": fields["id"], "title": fields.get("title", ""),
                                    "date": meeting["date"], "place": meeting["place"]})
            if meeting["date"]:
                row["first"] = min(filter(None, [row["first"], meeting["date"]]))
                row["last"] = max(filter(None, [row["last"], meeting["date"]]))
            if meeting["place"] and meeting["place"] not in row["places"]:
                row["places"].append(meeting["place"])
    for row in table.values():
        row["articles"].sort(key=lambda a: (a["date"] is None, a["date"] or "", a["id"]))
    return sorted(table.values(), key=lambda r: (-r["count"], r["person"]))


def search_events(service, request) -> dict:
    """Run a search collapsed by event; return events (label, span, sources, best article) instead of articles."""
    request.collapse = "event"
    response = service.search(request)
    snap = service.snapshot()
    events = []
    for result in response.pop("results"):
        summary_ = result.pop("event")
        described = describe(snap, summary_["id"]) if summary_ else None
        events.append({**(summary_ or {}), "label": described["label"] if described else result["title"],
                       "article": result})
    return {**response, "events": events}


def person_meetings(service, request, person: str) -> dict:
    """Return a person's counterparts over the articles a search request matches."""
    name = canonical_person(person)
    snap, mask = service.matching(request)
    rows = counterparts(snap, mask, name)
    return {"person": name, "total": len(rows), "counterparts": rows}


def canonical_person(value: str) -> str:
    """Return a person's canonical name for an alias (the value itself when unknown)."""
    return entities.canonical_person(value) or value.strip()
