"""A new index version prepared before requests need it: the same answers, read ahead."""
from __future__ import annotations

import time

import pytest

from chancery.search import articles, facets, indexer, warming
from chancery.search.searcher import SearchRequest, Service

ZANZIBAR = {"id": "z1", "title": "Zanzibar talks open", "body": "Envoys met in Zanzibar to talk about Syria."}


def add(index_dir, record=ZANZIBAR):
    indexer.Indexer(index_dir).write([articles.from_record(record)])


def answer(service, q):
    response = service.search(SearchRequest(q=q))
    return [r["id"] for r in response["results"]], response["facets"]


def test_a_prepared_version_is_the_one_the_next_request_uses(index_dir):
    service = Service(index_dir)
    assert service.prepare() is True
    prepared = service._ready.snap
    assert service.snapshot() is prepared
    assert service.prepare() is False            # nothing new since
    add(index_dir)                               # another process's write
    assert service.prepare() is True
    newer = service._ready.snap
    assert newer is not prepared and service.snapshot() is newer
    assert service._ready.snap is None           # taken once: another thread builds its own


def test_a_prepared_version_has_its_facet_bitmaps(index_dir, monkeypatch):
    sizes = {name: len(index.values) for name, index in Service(index_dir).snapshot().facets.items()}
    monkeypatch.setattr(facets, "BITMAP_VALUES", min(sizes.values()))
    service = Service(index_dir)
    service.prepare()
    prepared = service._ready.snap
    few = {name for name, index in prepared.facets.items() if len(index.values) <= min(sizes.values())}
    assert few and few != set(prepared.facets)
    assert {name for name, index in prepared.facets.items() if "_bits" in index.__dict__} == few


def test_prepared_and_unprepared_services_answer_alike(index_dir):
    warm, cold = Service(index_dir), Service(index_dir)
    answer(warm, "Syria")
    add(index_dir)
    warm.prepare()
    for q in ("Syria", "Zanzibar", '"talks open"', "Kerry -Syria"):
        assert answer(warm, q) == answer(cold, q)


def test_recent_terms_are_read_in_the_new_segment(index_dir):
    service = Service(index_dir)
    service.search(SearchRequest(q='Syria "talks open"'))
    recent = warming.recent_terms(service._terms)
    assert ("postings", "body", "syria") in recent and ("positions", "body", "talk") in recent
    before = set(service._segment_cache)
    add(index_dir)
    service.prepare()
    new = [key for key in service._segment_cache if key not in before]
    assert len(new) == 1
    cached = {key[1:] for key in service._terms.items if key[0] == new[0]}
    assert set(recent) <= cached


def test_recent_terms_are_newest_first_and_bounded(index_dir):
    service = Service(index_dir)
    for q in ("Syria", "Kerry", "Lavrov"):
        service.search(SearchRequest(q=q))
    texts = [text for _, _, text in warming.recent_terms(service._terms)]
    assert set(texts) == {"syria", "kerri", "lavrov"}
    last = {text: len(texts) - 1 - texts[::-1].index(text) for text in texts}
    assert last["lavrov"] < texts.index("kerri") and last["kerri"] < texts.index("syria")
    assert [text for _, _, text in warming.recent_terms(service._terms, limit=1)] == ["lavrov"]


def test_an_untaken_snapshot_is_closed_when_a_newer_one_is_offered(index_dir):
    service = Service(index_dir)
    service.prepare()
    old = service._ready.snap
    add(index_dir)
    service.prepare()
    assert old.searcher.is_closed and service._ready.snap is not old


def test_the_warmer_prepares_each_new_version(index_dir):
    service = Service(index_dir)
    warmer = warming.Warmer(service, 0.05)
    warmer.start()
    try:
        add(index_dir)
        target = indexer.version(indexer.open_index(index_dir))
        deadline = time.monotonic() + 10
        while service._prepared != target and time.monotonic() < deadline:
            time.sleep(0.05)
        assert service._prepared == target
        assert answer(service, "Zanzibar")[0] == ["z1"]
    finally:
        warmer.stop()
        warmer.join(5)
    assert not warmer.is_alive()


def test_a_failed_preparation_leaves_requests_to_build_their_own(index_dir, monkeypatch, caplog):
    service = Service(index_dir)
    monkeypatch.setattr(warming, "warm_terms", lambda *args: 1 / 0)
    warmer = warming.Warmer(service, 0.02)
    warmer.start()
    time.sleep(0.3)
    warmer.stop()
    warmer.join(5)
    assert "preparing the new index version failed" in caplog.text
    assert answer(service, "Syria")[0]


@pytest.mark.parametrize("raw, ok", [("0", True), ("2.5", True), ("-1", False), ("nan", False), ("soon", False)])
def test_warm_seconds_setting(raw, ok):
    from chancery import settings
    if ok:
        assert settings.resolve({}, {"CHANCERY_WARM_SECONDS": raw})["warm_seconds"] == float(raw)
    else:
        with pytest.raises(settings.SettingError, match="CHANCERY_WARM_SECONDS"):
            settings.resolve({}, {"CHANCERY_WARM_SECONDS": raw})


def test_a_first_preparation_loads_what_finding_a_querys_entities_needs(index_dir):
    from chancery.search import entities, person_tagger
    loaders = [entities.gazetteer, person_tagger.model]
    for loader in loaders:
        loader.cache_clear()
    Service(index_dir).prepare()
    assert [loader.cache_info().currsize for loader in loaders] == [1, 1]
