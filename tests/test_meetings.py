"""Meetings from sentences: participants, not the people who report or are only mentioned."""
from __future__ import annotations

import pytest

from chancery.search import meetings

MERKEL, MACRON, XI, MODI = "Angela Merkel", "Emmanuel Macron", "Xi Jinping", "Narendra Modi"
BLINKEN, WANG, PESKOV, ZAKHAROVA = "Antony Blinken", "Wang Yi", "Dmitry Peskov", "Maria Zakharova"
GUTERRES, PRICE = "António Guterres", "Ned Price"
PEOPLE = [MERKEL, MACRON, XI, MODI, BLINKEN, WANG, PESKOV, ZAKHAROVA, GUTERRES, PRICE]


def pair(a: str, b: str) -> tuple[str, str]:
    return tuple(sorted((a, b)))


SENTENCES = [
    # the plain verb, with and without "with", and with titles before the names
    ("German Chancellor Angela Merkel met French President Emmanuel Macron in Paris.", {pair(MERKEL, MACRON)}),
    ("On Monday Merkel met with Macron to prepare the summit.", {pair(MERKEL, MACRON)}),
    # held talks with a list of two
    ("Blinken held talks with Chinese Foreign Minister Wang Yi and UN chief Antonio Guterres.",
     {pair(BLINKEN, WANG), pair(BLINKEN, GUTERRES)}),
    ("Xi Jinping had lengthy talks with Modi on the border.", {pair(XI, MODI)}),
    # talks between / a meeting of, lists of three
    ("Talks between Xi Jinping and Narendra Modi lasted two hours.", {pair(XI, MODI)}),
    ("A meeting of Merkel, Macron and Xi Jinping took place by the lake.",
     {pair(MERKEL, MACRON), pair(MERKEL, XI), pair(MACRON, XI)}),
    ("The meeting between Merkel, who arrived late, and Macron was short.", {pair(MERKEL, MACRON)}),
    # a list as the subject
    ("Macron and Merkel discussed energy prices.", {pair(MERKEL, MACRON)}),
    ("Modi, Xi hold frank talks", {pair(XI, MODI)}),
    ("the Blinken-Xi talks ended without a statement.", {pair(BLINKEN, XI)}),
    # passive voice
    ("Blinken was received by Xi Jinping in the Great Hall.", {pair(BLINKEN, XI)}),
    # a reporter is not a participant
    ("Merkel met Macron on Friday, spokesman Dmitry Peskov told reporters.", {pair(MERKEL, MACRON)}),
    ("Talks between Modi and Xi were constructive, Maria Zakharova said.", {pair(XI, MODI)}),
    ("Ned Price said that Blinken met Wang Yi.", {pair(BLINKEN, WANG)}),
    # someone only mentioned is not a participant
    ("Guterres welcomed the talks between Modi and Xi Jinping.", {pair(XI, MODI)}),
    ("Merkel's stance on Xi Jinping at the talks with Macron did not change.", set()),
    ("Peskov declined to comment on whether Merkel would visit.", set()),
    # negated or future meetings did not happen (yet)
    ("Merkel did not meet Macron.", set()),
    ("Merkel will meet Macron next week.", set()),
    ("Modi and Xi Jinping spoke about the weather, Guterres noted.", set()),
]


@pytest.mark.parametrize("text, expected", [
    ("Kerry met Lavrov. They talked.", ["Kerry met Lavrov.", "They talked."]),
    ("Talks ended. \n\n“We agreed,” he said.", ["Talks ended.", "“We agreed,” he said."]),
    ("Title line\nBody goes on", ["Title line", "Body goes on"]),
    ("He said “yes.” Then he left!  [Update] Done?", ["He said “yes.”", "Then he left!", "[Update] Done?"]),
    ("Talks in the U.S. went on. a new line? no", ["Talks in the U.S. went on. a new line? no"]),
    ("First.\n \nsecond", ["First.", "second"]),
    ("  \n\n ", []),
    ("", []),
    ("Ends with a mark. ", ["Ends with a mark."]),
])
def test_sentences(text, expected):
    assert meetings.sentences(text) == expected


@pytest.mark.parametrize("sentence, expected", SENTENCES)
def test_pairs_in_a_sentence(sentence, expected):
    assert meetings.pairs_in(sentence, PEOPLE) == expected


DATES = [
    ("They met on Tuesday.", "2020-06-12", "2020-06-09"),        # the 12th was a Friday
    ("They met on Friday.", "2020-06-12", "2020-06-12"),
    ("They met on March 3.", "2020-06-12", "2020-03-03"),
    ("They met on 20 December.", "2020-06-12", "2019-12-20"),   # no later than the article
    ("They met on May 2, 2018.", "2020-06-12", "2018-05-02"),
    ("They met last week.", "2020-06-12", "2020-06-12"),
    ("They met on Tuesday.", None, None),
]


@pytest.mark.parametrize("sentence, published, expected", DATES)
def test_meeting_date(sentence, published, expected):
    assert meetings.sentence_date(sentence, published) == expected


PLACES = [
    ("They met in Moscow on Friday.", "Russia"),
    ("The talks at the Kremlin ended late.", "Russia"),
    ("They discussed the situation in Syria.", None),      # a country as the subject, not the place
    ("They met in a hotel.", None),
]


@pytest.mark.parametrize("sentence, expected", PLACES)
def test_meeting_place(sentence, expected):
    assert meetings.sentence_place(sentence) == expected


def test_extract_gives_each_pair_once_with_date_and_place():
    body = ("Merkel met Macron in Paris on Monday. Later Macron and Merkel discussed trade. "
            "A spokesman said Merkel and Macron held talks again.")
    found = meetings.extract("Merkel, Macron hold talks", body, [MERKEL, MACRON, PESKOV], "2021-02-05")
    assert found == [{"persons": [MERKEL, MACRON], "date": "2021-02-05", "place": "France"}]


def test_extract_needs_two_people():
    assert meetings.extract("Merkel met reporters", "Merkel met reporters in Berlin.", [MERKEL], None) == []


# Mentions the shortcut must see: gazetteer aliases, surnames, possessives, curly
# apostrophes, dots, accents, case, and a name the gazetteer does not hold.
MENTIONED = [
    ("Sergei Lavrov met John Kerry.", ["Sergey Lavrov", "John Kerry"]),
    ("Lavrov’s talks with Kerry ended late.", ["Sergey Lavrov", "John Kerry"]),
    ("LAVROV AND KERRY MET IN GENEVA", ["Sergey Lavrov", "John Kerry"]),
    ("John F. Kerry met Lavrov's deputy.", ["Sergey Lavrov", "John Kerry"]),
    ("António Guterres received Wang Yi.", [GUTERRES, WANG]),
    ("Antonio Guterres received Wang Yi.", [GUTERRES, WANG]),
    ("Ingrid Halvorsen met Macron in Oslo.", ["Ingrid Halvorsen", MACRON]),
    ("Halvorsen met Macron.", ["Ingrid Halvorsen", MACRON]),
    *[(sentence, PEOPLE) for sentence, _ in SENTENCES],
]


@pytest.mark.parametrize("sentence, persons", MENTIONED)
def test_the_mention_shortcut_never_undercounts(sentence, persons):
    found = {name for _, _, name in meetings._mentions(sentence, persons)}
    assert meetings._named(sentence, meetings._probes(persons)) >= len(found)


def test_a_sentence_naming_one_person_is_not_read_further(monkeypatch):
    monkeypatch.setattr(meetings, "_mentions", lambda *_: pytest.fail("mentions were scanned"))
    assert meetings.pairs_in("Merkel met the press in Paris.", PEOPLE) == set()
