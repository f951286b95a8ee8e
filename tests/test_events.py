"""Events and near-duplicates at indexing: joins, separations, rewrites, deletions, re-indexing."""
from __future__ import annotations

import json

import numpy as np
import pytest

from chancery.search import event_store, events, indexer
from chancery.search.articles import Article
from chancery.search.indexer import Indexer
from chancery.search.searcher import SearchRequest, Service

MERKEL, MACRON, SCHOLZ = "Angela Merkel", "Emmanuel Macron", "Olaf Scholz"

SUMMIT = ("German Chancellor Angela Merkel met French President Emmanuel Macron in Paris on Tuesday to prepare "
          "a common plan on energy security and gas storage before the winter. The two leaders agreed to build "
          "a joint reserve of liquefied gas, to link their power grids more closely and to ask Brussels for "
          "faster approval of new pipelines. Macron said the plan would protect households from price shocks. "
          "Merkel said Germany and France would present the proposal to the other members next month.")


def article(doc_id, title, body, published, persons=(), countries=(), source=None) -> Article:
    return Article(id=doc_id, title=title, body=body, source=source, published=published,
                   persons=list(persons), countries=list(countries))


def rewrite(text: str, every: int = 30) -> str:
    """Return text with every n-th word changed: a light rewrite."""
    words = text.split()
    return " ".join("quite" if i % every == 7 else w for i, w in enumerate(words))


STORIES = {
    "summit": article("summit", "Merkel and Macron agree joint energy security plan", SUMMIT, "2021-10-05",
                      [MERKEL, MACRON], ["Germany", "France"], "Deutsche Welle"),
    # The same happening, told differently two days later by another outlet.
    "summit-later": article(
        "summit-later", "France and Germany to build joint gas reserve, Macron and Merkel say",
        "Emmanuel Macron and Angela Merkel have agreed on a joint gas reserve and closer power grids, the two "
        "leaders said after their talks in Paris. The energy security plan asks Brussels for faster approval "
        "of pipelines and protects households from winter price shocks, Macron told reporters.",
        "2021-10-07", [MACRON, MERKEL], ["France", "Germany"], "Xinhua"),
    # A syndicated copy with a few words changed, a day later.
    "summit-copy": article("summit-copy", "Merkel and Macron agree joint energy security plan", rewrite(SUMMIT),
                           "2021-10-06", [MERKEL, MACRON], ["Germany", "France"], "TASS"),
    # Same day, same country, another happening.
    "floods": article("floods", "Floods cut railway lines in northern Germany",
                      "Heavy rain flooded towns along the river in northern Germany on Tuesday, cutting railway "
                      "lines and forcing hundreds of residents from their homes, the fire service said. Rescue "
                      "teams used boats to reach villages, and the weather service warned of more rain.",
                      "2021-10-05", [], ["Germany"], "Deutsche Welle"),
    # Same day, same person, another happening.
    "factory": article("factory", "Merkel opens battery factory in Saxony",
                       "Angela Merkel opened a battery factory in Saxony on Tuesday, praising the workers and the "
                       "car makers that will buy its cells. The plant will employ two thousand people.",
                       "2021-10-05", [MERKEL], ["Germany"], "Reuters"),
    # The same people a month later: another meeting, another event.
    "summit-november": article(
        "summit-november", "Merkel and Macron discuss migration at border meeting",
        "Angela Merkel and Emmanuel Macron discussed migration and border controls at a meeting in Strasbourg, "
        "agreeing to share more police data and to fund reception centres.",
        "2021-11-20", [MERKEL, MACRON], ["Germany", "France"], "Reuters"),
}


def index(folder, names, indexer=None) -> Indexer:
    indexer = indexer or Indexer(folder)
    indexer.write([STORIES[name] for name in names])
    return indexer


def event_of(folder) -> dict[str, str]:
    snap = Service(folder).snapshot()
    found = event_store.groups(snap, "event")
    return {snap.doc_id(doc): found.id(found.codes[doc]) for doc in range(snap.size) if snap.live[doc]}


def dup_of(folder) -> dict[str, str]:
    snap = Service(folder).snapshot()
    found = event_store.groups(snap, "dup")
    return {snap.doc_id(doc): found.id(found.codes[doc]) for doc in range(snap.size) if snap.live[doc]}


ORDERS = [list(STORIES), list(reversed(STORIES))]


@pytest.mark.parametrize("order", ORDERS, ids=["forward", "reversed"])
@pytest.mark.parametrize("writes", ["one", "each-from-index", "each-carried"])
def test_events_join_and_separate(tmp_path, order, writes):
    if writes == "one":
        index(tmp_path, order)
    else:
        for name in order:
            if writes == "each-from-index":
                indexer._CARRY.clear()     # as if another process wrote: candidates come from the index
            index(tmp_path, [name])        # a new Indexer each time, as the server makes one per request
    found = event_of(tmp_path)
    same = [("summit", "summit-later"), ("summit", "summit-copy")]
    different = [("summit", "floods"), ("summit", "factory"), ("floods", "factory"), ("summit", "summit-november")]
    for a, b in same:
        assert found[a] == found[b], (a, b)
    for a, b in different:
        assert found[a] != found[b], (a, b)
    dups = dup_of(tmp_path)
    assert dups["summit"] == dups["summit-copy"] != dups["summit-later"]


def test_event_id_derives_from_the_first_article(tmp_path):
    index(tmp_path, ["summit", "summit-later"])
    assert set(event_of(tmp_path).values()) == {events.event_id("summit")}


def test_reindexing_the_same_articles_gives_the_same_events(tmp_path):
    indexer = index(tmp_path / "a", list(STORIES))
    first = event_of(tmp_path / "a")
    index(tmp_path / "a", list(STORIES), indexer)          # upsert, same process
    assert event_of(tmp_path / "a") == first
    index(tmp_path / "a", list(STORIES))                   # upsert, a new process's indexer
    assert event_of(tmp_path / "a") == first
    index(tmp_path / "b", list(STORIES))                   # a fresh index
    assert event_of(tmp_path / "b") == first


def test_deleting_articles_keeps_the_event_consistent(tmp_path):
    index(tmp_path, ["summit", "summit-copy", "summit-later", "floods"])
    service = Service(tmp_path)
    event = event_of(tmp_path)["summit"]
    before = event_store.describe(service.snapshot(), event)
    assert before["size"] == 3 and before["first"] == "2021-10-05" and before["last"] == "2021-10-07"
    assert before["sources"] == ["Deutsche Welle", "TASS", "Xinhua"]
    service.write(delete_ids=["summit", "summit-later"])
    after = event_store.describe(service.snapshot(), event)
    assert after["size"] == 1 and after["first"] == after["last"] == "2021-10-06"
    assert after["sources"] == ["TASS"] and [a["id"] for a in after["articles"]] == ["summit-copy"]
    assert after["label"] == STORIES["summit-copy"].title
    # A later article still joins the event of its founder's remaining copy.
    index(tmp_path, ["summit-later"])
    assert event_of(tmp_path)["summit-later"] == event
    service.write(delete_ids=["summit-copy", "summit-later"])
    assert event_store.describe(service.snapshot(), event) is None


def test_a_refounded_event_does_not_take_a_used_id(tmp_path):
    index(tmp_path, ["summit", "summit-later"])
    # The founder is replaced by an unrelated text: it leaves, and must not reuse the event's id.
    changed = article("summit", "Weather in Lisbon", "Sunny skies over Lisbon all week, forecasters said.",
                      "2021-10-05", [], ["Portugal"])
    Indexer(tmp_path).write([changed])
    found = event_of(tmp_path)
    assert found["summit-later"] == events.event_id("summit") != found["summit"]


@pytest.mark.parametrize("published", [None, "2024-01-01"])
def test_a_copy_joins_whatever_its_date(tmp_path, published):
    copy = article("late-copy", STORIES["summit"].title, rewrite(SUMMIT, 25), published, [MERKEL, MACRON])
    index(tmp_path, ["summit"])
    Indexer(tmp_path).write([copy])
    assert event_of(tmp_path)["late-copy"] == event_of(tmp_path)["summit"]
    assert dup_of(tmp_path)["late-copy"] == dup_of(tmp_path)["summit"]


SIGNATURES = [
    (SUMMIT, SUMMIT, 1.0, 1.0),
    (SUMMIT, rewrite(SUMMIT), 0.6, 1.0),
    (SUMMIT, STORIES["summit-later"].body, 0.0, 0.3),
    (SUMMIT, STORIES["floods"].body, 0.0, 0.1),
]


@pytest.mark.parametrize("a, b, low, high", SIGNATURES)
def test_near_duplicate_similarity(a, b, low, high):
    estimate = events.jaccard(events._signature(a), events._signature(b))
    assert low <= estimate <= high


def test_only_the_latest_articles_of_a_key_are_candidates(tmp_path, monkeypatch):
    monkeypatch.setattr(events, "MAX_PER_KEY", 2)
    # The summit story first, then three unrelated stories of the same person and day.
    first = STORIES["summit"]
    others = [article(f"other{n}", f"Unrelated note {n} on fisheries quotas", f"Fisheries quotas, part {n}, "
                      "were discussed by officials in a regional council meeting.", first.published,
                      first.persons, first.countries) for n in range(3)]
    index(tmp_path, ["summit"])
    Indexer(tmp_path).write(others)
    indexer._CARRY.clear()                 # read the candidates back from the index
    index(tmp_path, ["summit-later"])
    found = event_of(tmp_path)
    assert found["summit-later"] != found["summit"]     # the summit is past the latest two of its keys


@pytest.mark.parametrize("carried", [True, False], ids=["from-memory", "from-index"])
def test_past_the_cap_the_candidates_sharing_most_keys_are_kept(tmp_path, monkeypatch, carried):
    monkeypatch.setattr(events, "MAX_CANDIDATES", 2)
    # After the summit, three newer stories of the same day that share one of its four keys.
    first = STORIES["summit"]
    others = [article(f"other{n}", f"Unrelated note {n} on fisheries quotas", f"Fisheries quotas, part {n}, "
                      "were discussed by officials in a regional council meeting.", first.published,
                      [], ["France"]) for n in range(3)]
    writer = index(tmp_path, ["summit"])
    writer.write(others)
    if not carried:
        indexer._CARRY.clear()                 # read the candidates back from the index
        writer = None
    index(tmp_path, ["summit-later"], writer)
    found = event_of(tmp_path)
    assert found["summit-later"] == found["summit"]
    assert len({found[f"other{n}"] for n in range(3)} & {found["summit"]}) == 0


def test_a_write_takes_over_the_previous_writes_linker_unless_someone_wrote_since(tmp_path):
    first = index(tmp_path, ["summit"])
    second = index(tmp_path, ["floods"])
    assert second.linker is first.linker and "summit" in second.linker.memory
    indexer._CARRY[str(tmp_path.resolve())] = (-1,) + indexer._CARRY[str(tmp_path.resolve())][1:]  # stale
    third = index(tmp_path, ["factory"])
    assert third.linker is not first.linker and "summit" not in third.linker.memory


@pytest.mark.parametrize("text", [
    "Merkel and Macron agree a joint energy plan in Paris on Tuesday",
    "the talks went on and the talks went on and the talks went on",     # repeated shingles
    "Lavrov and Kerry",                                                   # under one shingle
    "",
    "Ministre des Affaires étrangères: Lavrov à Genève, Σεργκέι Λαβρόφ",
])
def test_signatures_are_the_named_minhash_of_the_distinct_shingles(text):
    import zlib
    from datasketch import MinHash
    words = events.WORD_RE.findall(text.lower())
    shingles = {" ".join(words[i:i + events.SHINGLE]).encode()
                for i in range(max(1, len(words) - events.SHINGLE + 1))}
    expected = MinHash(num_perm=events.PERMUTATIONS, seed=1, hashfunc=zlib.crc32, scheme=events.SCHEME)
    expected.update_batch(sorted(shingles))
    assert (events._signature(text) == expected.hashvalues).all()
    assert events.SCHEME == "affine32"        # changing it changes every stored signature: re-index then


def test_with_events_off_articles_have_no_event_and_stand_alone(tmp_path):
    Indexer(tmp_path, with_events=False).write([STORIES["summit"], STORIES["summit-copy"]])
    service = Service(tmp_path)
    snap = service.snapshot()
    assert (event_store.groups(snap, "event").codes == -1).all()
    response = service.search(SearchRequest(q="energy", collapse="event"))
    assert response["total"] == 2 and all(r["event"] is None for r in response["results"])


@pytest.mark.parametrize("writes", ["one", "each-from-index"])
def test_a_copy_sharing_no_band_is_found_among_its_people_and_days(tmp_path, monkeypatch, writes):
    # Every article's bands differ: only the people-and-days candidates can find the copy.
    monkeypatch.setattr(events.Features, "bands",
                        lambda self: [(band << 32) | ((id(self) + band) & 0xFFFFFFFF) for band in range(16)])
    if writes == "one":
        index(tmp_path, ["summit", "summit-copy", "floods"])
    else:
        for name in ["summit", "summit-copy", "floods"]:
            indexer._CARRY.clear()
            index(tmp_path, [name])
    dups, found = dup_of(tmp_path), event_of(tmp_path)
    assert dups["summit-copy"] == dups["summit"] != dups["floods"]
    assert found["summit-copy"] == found["summit"]


def test_groups_are_found_by_id_and_their_hashes_kept_beside_each_segment(tmp_path, monkeypatch):
    index(tmp_path, ["summit", "floods"])
    index(tmp_path, ["summit-later", "factory"])                     # a second segment
    found = event_of(tmp_path)
    groups = event_store.groups(Service(tmp_path).snapshot(), "event")
    for event in set(found.values()):
        assert groups.id(groups.code(event)) == event
    assert groups.code("event-that-is-not-there") is None
    assert len(list(tmp_path.glob("*.group-event.npy"))) == 2
    assert len(list(tmp_path.glob("*.group-event-order.npy"))) == 2
    # A new process loads the hashes instead of reading every document's id.
    event_store._SEGMENTS.clear()
    monkeypatch.setattr(event_store, "_read_hashes", lambda name: lambda leaf: pytest.fail("read the column again"))
    assert event_of(tmp_path) == found
    # Merged away, a segment's hashes go with it.
    monkeypatch.undo()
    Indexer(tmp_path).optimize()
    assert event_of(tmp_path) == found
    assert len(list(tmp_path.glob("*.group-event.npy"))) == 1


@pytest.mark.parametrize("damage", [
    lambda order: order[::-1],                          # not in hash order
    lambda order: np.concatenate([order[:1], order[:-1]]),   # a document twice, one missing
    lambda order: order + len(order),                   # out of range
    lambda order: order[:-1],                           # short
    lambda order: order.astype(np.float64),             # not integers
])
def test_a_damaged_group_order_file_is_sorted_again(tmp_path, damage):
    index(tmp_path, ["summit", "summit-copy", "floods", "factory", "summit-later", "summit-november"])
    found = event_of(tmp_path)
    expected = event_store.groups(Service(tmp_path).snapshot(), "event")
    for path in tmp_path.glob("*.group-event-order.npy"):
        np.save(path, damage(np.load(path)))
    event_store._SEGMENTS.clear()                       # as in a new process
    groups = event_store.groups(Service(tmp_path).snapshot(), "event")
    assert event_of(tmp_path) == found
    for part in ("hashes", "codes", "order", "ptr"):
        assert np.array_equal(getattr(groups, part), getattr(expected, part))


@pytest.mark.parametrize("group_id", ["event-1", "", "é" * 50, "dup-\x00"])
def test_a_group_hash_is_never_zero_and_depends_on_the_id(group_id):
    assert event_store.group_hash(group_id) != 0
    assert event_store.group_hash(group_id) != event_store.group_hash(group_id + "x")


TALKS = article("talks-short", "Fishery talks in Oslo", "Halvorsen met Emmanuel Macron in Oslo on Tuesday to "
                "discuss fishing quotas and the northern fishery.", "2021-10-05", ["Halvorsen", MACRON],
                ["Norway", "France"])
FULL_NAME = article("deal-full", "Fishery deal done", "Chief negotiator Ingrid Halvorsen said the deal was done.",
                    "2022-03-01", ["Ingrid Halvorsen"], ["Norway"])
TALKS_LATER = article("talks-later", "Macron and Halvorsen agree fishing quotas in Oslo",
                      "Ingrid Halvorsen and Emmanuel Macron agreed on fishing quotas for the northern fishery "
                      "after their talks in Oslo.", "2021-10-07", ["Ingrid Halvorsen", MACRON], ["Norway", "France"])


@pytest.mark.parametrize("carried", [True, False], ids=["from-memory", "from-index"])
def test_a_respelled_article_keeps_its_event_and_takes_the_new_name_everywhere(tmp_path, carried):
    writer = Indexer(tmp_path)
    writer.write([TALKS])
    event = event_of(tmp_path)["talks-short"]
    if not carried:
        indexer._CARRY.clear()
    # A fuller spelling in a later batch respells the stored article.
    Indexer(tmp_path).write([FULL_NAME])
    with indexer.open_index(tmp_path).searcher() as searcher:
        fields = searcher.document(id="talks-short")
    assert fields["person"].split("\n") == ["Ingrid Halvorsen", MACRON]
    assert [m["persons"] for m in json.loads(fields["meetings"])] == [[MACRON, "Ingrid Halvorsen"]]
    assert json.loads(fields["meetings"])[0]["place"] == "Norway"
    assert f"{MACRON}\tIngrid Halvorsen" in fields["met"].split("\n")
    assert event_of(tmp_path)["talks-short"] == event
    met = Service(tmp_path).search(SearchRequest(filters={"person": ["Ingrid Halvorsen"]}, met=[MACRON]))
    assert [hit["id"] for hit in met["results"]] == ["talks-short"]
    # Its keys carry the new name: a later report of the talks under it joins the event.
    if not carried:
        indexer._CARRY.clear()
    Indexer(tmp_path).write([TALKS_LATER])
    assert event_of(tmp_path)["talks-later"] == event


@pytest.mark.parametrize("deleted", [[], ["summit"], ["summit", "floods"], list(STORIES)])
def test_groups_hold_each_live_member_once_in_document_order(tmp_path, deleted):
    index(tmp_path, ["summit", "floods", "summit-copy"])
    index(tmp_path, [name for name in STORIES if name not in ("summit", "floods", "summit-copy")])
    Indexer(tmp_path).delete([STORIES[name].id for name in deleted])
    snap = Service(tmp_path).snapshot()
    for name in event_store.GROUPS:
        found = event_store.groups(snap, name)
        expected: dict[str, list[int]] = {}
        for doc in np.flatnonzero(snap.live).tolist():
            expected.setdefault(snap.searcher.stored_fields(doc)[name], []).append(doc)
        assert (found.hashes[1:] > found.hashes[:-1]).all()                  # sorted, distinct
        assert {found.id(code): found.members(code).tolist() for code in range(len(found.hashes))} == expected
        for code in range(len(found.hashes)):
            assert (found.codes[found.members(code)] == code).all()
        assert int((found.codes >= 0).sum()) == sum(map(len, expected.values()))
