"""Topics by evidence: phrase cues and counter-cues, place and length weighed, each tag explained."""
from __future__ import annotations

import pytest

from chancery.search import topics

LONG_FILLER = ("The committee met in the afternoon and went through the agenda item by item, "
               "with long exchanges on procedure, schedules, staffing and the wording of minutes. ") * 100
MIDDLE_FILLER = LONG_FILLER[:len(LONG_FILLER) // 8]


@pytest.mark.parametrize("text, present, absent", [
    ("The sides agreed a ceasefire and a cessation of hostilities.", "armed-conflict", "trade"),
    ("The EU extended sanctions on Russia.", "sanctions", "trade"),
    ("The extension of the START treaty was not discussed.", "arms-control", "energy"),
    ("Hackers behind the cyber attack were charged with cybercrime.", "cybersecurity", "health"),
    ("A plane crash killed 62 people.", "disasters", "armed-conflict"),
    ("The pandemic forced vaccine trials.", "health", "disasters"),
    ("Oil prices rose as OPEC cut output.", "energy", "health"),
    ("Tariffs and trade deficit dominated.", "trade", "energy"),
    ("Any steps may have disastrous consequences for the region.", None, "disasters"),
    ("The Minsk agreement calls for political, economic and social measures.", None, "trade"),
    ("The meeting took place in a business environment.", None, "trade"),
    ("Presidential aide Yuri Ushakov said.", None, "humanitarian"),
    ("It is important to launch the committee.", None, "trade"),
])
def test_topics(text, present, absent):
    found = topics.find_topics(text)
    if present:
        assert present in found
    assert absent not in found


@pytest.mark.parametrize("text, slug", [
    # Stem traps: a word that shares a stem with a cue does not carry the cue's topic.
    ("Investigators traced the money through a shell company registered offshore.", "armed-conflict"),
    ("Three executives of the bank were questioned about the bonuses.", "human-rights"),
    ("The governor won re-election in a landslide victory on Tuesday night.", "disasters"),
    ("Cheap imports flooded the market and farm prices fell sharply.", "disasters"),
    ("The crowd erupted in cheers when the result was read out.", "disasters"),
    ("An outbreak of violence followed the disputed count in the capital.", "health"),
    ("Police fired tear gas at the marchers near the square.", "energy"),
    ("The travel ban on citizens of six nations was upheld.", "sanctions"),
    ("A heart attack killed the veteran actor at his home.", "terrorism"),
])
def test_stem_traps(text, slug):
    assert slug not in topics.find_topics(text)


@pytest.mark.parametrize("text, slug", [
    # The real sense of the same words still counts.
    ("Artillery shelling of the town went on through the night as rebels advanced.", "armed-conflict"),
    ("Rights groups condemned the executions of four prisoners on Monday.", "human-rights"),
    ("A landslide buried a village after days of heavy rain.", "disasters"),
    ("The river flooded hundreds of homes and rescuers used boats.", "disasters"),
    ("The volcano erupted, sending ash over the airport.", "disasters"),
    ("Health officials reported an outbreak of cholera in the camps.", "health"),
])
def test_real_senses(text, slug):
    assert slug in topics.find_topics(text)


@pytest.mark.parametrize("title, body, slug", [
    # One-line items get their topic from one clear cue.
    ("Voters head to the polls", "Turnout was high in the northern districts.", "elections"),
    ("Quake shakes coastal towns", "Dozens of houses collapsed.", "disasters"),
    ("", "Refugees crossed into the neighbouring province overnight.", "humanitarian"),
    ("", "The central bank raised interest rates by half a point.", "trade"),
])
def test_short_items_get_their_topic(title, body, slug):
    assert slug in topics.tag(title, body).topics


@pytest.mark.parametrize("passing, slug", [
    # In a long feature (thousands of words), one passing mention is not what it is about.
    ("One delegate mentioned an earthquake years ago. ", "disasters"),
    ("Someone recalled the oil price of last winter. ", "energy"),
    ("A member asked about the vaccine for staff. ", "health"),
])
def test_long_articles_are_not_over_tagged(passing, slug):
    half = len(LONG_FILLER) // 2
    body = LONG_FILLER[:half] + passing + LONG_FILLER[half:]
    assert slug not in topics.tag("Committee reviews its procedures", body).topics


@pytest.mark.parametrize("passing, slug", [
    # In a mid-length article, passing weak words (even two) do not make a topic ...
    ("Someone said the market was calm and growth was slow. ", "trade"),
    ("The hall had a fire exit; nobody was injured in the drill. ", "disasters"),
])
def test_weak_words_do_not_tag_a_longer_article(passing, slug):
    assert slug not in topics.tag("Committee reviews its procedures", MIDDLE_FILLER + passing + MIDDLE_FILLER).topics


@pytest.mark.parametrize("passing, slug", [
    # ... but a topic named outright in a readout of talks is one of the topics discussed.
    ("The ministers also discussed sanctions on the regime. ", "sanctions"),
    ("They condemned the terrorist attack in the capital. ", "terrorism"),
])
def test_a_named_topic_counts_in_a_readout(passing, slug):
    assert slug in topics.tag("Ministers meet", MIDDLE_FILLER + passing + MIDDLE_FILLER).topics


def test_long_article_about_a_topic_keeps_it():
    body = ("A powerful earthquake struck the coast before dawn, and the death toll rose through the day. "
            + LONG_FILLER + "Rescuers searched collapsed buildings as aftershocks and a tsunami warning followed. ")
    assert "disasters" in topics.tag("Earthquake kills dozens", body).topics


def test_threshold_grows_with_length():
    assert topics.threshold(50) == topics.threshold(topics.SHORT_WORDS)
    assert topics.threshold(8000) > topics.threshold(2000) > topics.threshold(500)


def test_title_weighs_more_than_body():
    in_title = topics.tag("Ceasefire agreed", "Both sides met.").scores.get("armed-conflict", 0)
    in_body = topics.tag("Both sides met", "Ceasefire agreed.").scores.get("armed-conflict", 0)
    assert in_title > in_body


def test_each_tag_is_explained_by_spans_of_its_text():
    title, body = "Ceasefire holds", "The truce between the army and the rebels held for a second day."
    tagged = topics.tag(title, body)
    assert "armed-conflict" in tagged.topics
    for hit in tagged.hits["armed-conflict"]:
        text = title if hit.field == "title" else body
        assert text[hit.start:hit.end].lower() in hit.cue.phrase.lower() or hit.cue.phrase.lower().startswith(
            text[hit.start:hit.end].lower()[:4])
    assert tagged.scores["armed-conflict"] >= tagged.threshold


def test_labels_cover_the_contract():
    assert topics.topic_label("elections") == "Elections, constitutions and governance"
    assert topics.topic_label("no-such-topic") is None


@pytest.mark.parametrize("text", ["The talks' end: talks, then talk's end.", "Ãbc ab abc, Zürich’s 20 ab_c",
                                  "", "  -- ", "ceasefire ceasefire cease fire"])
def test_word_offsets_found_by_search_are_the_regex_matches(text):
    lowered = topics._lowered(text)
    raws = topics.WORD_RE.findall(lowered)
    expected = [match.start() for match in topics.WORD_RE.finditer(lowered)]
    assert topics._starts(lowered, raws, len(raws)) == expected
    assert topics._starts(lowered, raws, 2) == expected[:2]


def test_word_readings_fold_stem_and_mark_stop_words_and_their_cache_is_bounded(monkeypatch):
    monkeypatch.setattr(topics, "READING_CACHE_SIZE", 2)
    monkeypatch.setattr(topics, "_READINGS", {})
    stem = topics.analysis.stem
    assert [topics._reading(raw) for raw in ("the", "ceasefire’s", "négociations", "talks")] == [
        ("the", "the", True), ("ceasefire's", stem("ceasefire"), False),
        ("negociations", stem("negociations"), False), ("talks", stem("talks"), False)]
    assert len(topics._READINGS) <= 2
