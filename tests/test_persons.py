"""People beyond the gazetteer: tagger, role cues, titles, resolution, era, one name per person."""
from __future__ import annotations

import json

import pytest

from chancery.search import articles, data, entities, indexer, person_names, person_tagger, persons, train_persons
from chancery.search.articles import Article


def people(text: str, year: int | None = None, title: str = "") -> list[str]:
    return entities.extract(title, text, year).persons


@pytest.mark.parametrize("text, expected", [
    ("Finance Minister Ola Brekke told parliament the budget would balance.", "Ola Brekke"),
    ("The rebel commander Tadesse Worku said his fighters had pulled back.", "Tadesse Worku"),
    ("A spokeswoman, Marisol Quintero, said the ministry would not comment.", "Marisol Quintero"),
    ("Piet Hoekstra, the central bank governor, kept rates unchanged.", "Piet Hoekstra"),
    ("Trade negotiator Anneli Virtanen arrived in Geneva on Monday.", "Anneli Virtanen"),
    ("Kwame Mensah, a spokesman for the opposition, denied the report.", "Kwame Mensah"),
    ("Interior Minister Rashid Okonjo-Bello ordered an inquiry.", "Rashid Okonjo-Bello"),
    ("Lawyer Giulia dal Monte said her client would appeal.", "Giulia dal Monte"),
    ("The regime of the military strongman Jean-Baptiste Okoro collapsed.", "Jean-Baptiste Okoro"),
    ("Talks with Hamid Karimov, leader of the farmers union, failed.", "Hamid Karimov"),
])
def test_people_outside_the_gazetteer(text, expected):
    assert expected in people(text)


@pytest.mark.parametrize("text", [
    "The Carnegie Endowment published a report on Tuesday.",
    "Talks were held at the Hofburg Palace in Vienna.",
    "The Halvorsen Institute said exports fell.",
    "Officials in Santa Cruz said the bridge had reopened.",
    "Hurricane Edna hit the coast on Friday.",
    "Shares of Brekke Holdings fell sharply.",
    "The Reform Party said it would abstain.",
    "Residents of Banja Luka said the shelling stopped.",
    "Aid reached Port Harcourt on Sunday.",
    "OSLO, March 3 - The NORDIC COUNCIL met again.",
    "Firstly, president of the board was absent.",
    "The Middle East peace process stalled.",
])
def test_organisations_places_and_buildings_are_not_people(text):
    assert people(text) == []


@pytest.mark.parametrize("text, expected", [
    ("Mr. Dag Solberg said the talks had failed.", ["Dag Solberg"]),
    ("Dr. Amina Yusuf, a health official, said cases fell.", ["Amina Yusuf"]),
    ("Ambassador Lars Eknes met the foreign minister.", ["Lars Eknes"]),
    ("General Abebe Tadesse said the army would stay.", ["Abebe Tadesse"]),
    ("Princess Diana visited the hospital.", ["Diana"]),
    ("Congressman Ned Halloran flew to Kabul on Tuesday.", ["Ned Halloran"]),
    ("Assemblywoman Rita Ocampo voted against the bill.", ["Rita Ocampo"]),
    ("Councillor Joost Verbeek said the plan was dead.", ["Joost Verbeek"]),
])
def test_honorifics_and_titles_are_not_part_of_a_name(text, expected):
    assert people(text) == expected


@pytest.mark.parametrize("text, expected", [
    ("Her daughter Melissa was found alive on Monday.", ["Melissa"]),
    ("Major John spoke of a long war.", []),
    ("Prince Charles met the envoy.", ["Charles"]),
])
def test_a_given_name_alone(text, expected):
    assert people(text) == expected


@pytest.mark.parametrize("text, expected", [
    ("Finance Minister Ola Brekke spoke first. Mr. Brekke said the budget would balance.", ["Ola Brekke"]),
    ("Trade negotiator Anneli Virtanen arrived. Virtanen said talks would go on.", ["Anneli Virtanen"]),
    ("Kwame Mensah, a spokesman, denied it. Mensah's office said more.", ["Kwame Mensah"]),
])
def test_later_mentions_resolve_to_the_full_name(text, expected):
    assert people(text) == expected


def test_a_later_mention_carries_its_own_evidence():
    found = entities.extract("Brekke warns", "Finance Minister Ola Brekke spoke. Mr. Brekke said more.")
    rows = [(e["field"], e["value"], e["rule"]) for e in found.evidence]
    assert ("title", "Ola Brekke", "surname-resolution") in rows
    assert ("body", "Ola Brekke", "role-cue") in rows
    assert ("body", "Ola Brekke", "surname-resolution") in rows


@pytest.mark.parametrize("title, body", [
    ("Oslo talks", "Finance Minister Ola Brekke spoke. Mr. Brekke said more."),
    ("Brekke warns on budget", "Bashar al-Assad spoke of Syria."),
])
def test_evidence_offsets_point_at_the_name(title, body):
    found = entities.extract(title, body)
    people = [row for row in found.evidence if row["facet"] == "person"]
    assert people
    for row in people:
        text = title if row["field"] == "title" else body
        written = text[row["start"]:row["end"]]
        assert row["value"] in found.persons
        assert written.split()[-1].rstrip("'s") in row["value"] or row["rule"] == "gazetteer"


@pytest.mark.parametrize("text, year, expected", [
    ("Norway's Stoltenberg met the delegation.", 1987, "Thorvald Stoltenberg"),
    ("Norway's Stoltenberg met the delegation.", 2015, "Jens Stoltenberg"),
    ("President Bush spoke on Monday.", 1990, "George H. W. Bush"),
    ("President Bush spoke on Monday.", 2005, "George W. Bush"),
    ("Clinton said the vote would come soon.", 1995, "Bill Clinton"),
    ("Clinton said the vote would come soon.", 2015, "Hillary Clinton"),
    ("Kim inspected a missile launch.", 1990, "Kim Il Sung"),
    ("Kim inspected a missile launch.", 2005, "Kim Jong Il"),
    ("Kim inspected a missile launch.", 2015, "Kim Jong Un"),
    ("Assad addressed the nation.", 1995, "Hafez al-Assad"),
    ("Assad addressed the nation.", 2012, "Bashar al-Assad"),
    ("Trudeau flew to London.", 1975, "Pierre Trudeau"),
    ("Trudeau flew to London.", 2018, "Justin Trudeau"),
])
def test_a_bare_surname_means_the_person_of_the_article_year(text, year, expected):
    assert people(text, year) == [expected]


def test_the_article_full_name_beats_the_year():
    assert people("Jens Stoltenberg, then a young minister, spoke. Stoltenberg said more.", 1987) == [
        "Jens Stoltenberg"]


@pytest.mark.parametrize("published, expected", [
    ("1987-05-02", "Thorvald Stoltenberg"),
    ("2016-05-02", "Jens Stoltenberg"),
])
def test_the_published_date_reaches_extraction(published, expected):
    article = articles.from_record({"id": "s", "title": "Nordic talks", "published": published,
                                    "body": "Stoltenberg met his counterparts in Oslo."})
    assert article.persons == [expected]


@pytest.mark.parametrize("text, year", [
    ("OSLO 1987-03-02\nStoltenberg met his counterparts.", 1987),
    ("Nothing dated here.\nStoltenberg met them.", None),
])
def test_a_dateline_date_stands_in_for_a_missing_published_date(text, year):
    assert persons.dateline_year(text) == year


def test_years_are_read_from_the_gazetteer():
    years = persons._people()[0]
    assert years["Thorvald Stoltenberg"] == (1979, 1996)
    assert years["Jens Stoltenberg"][1] == 9999


def test_the_model_is_json_and_loads_once():
    raw = data.path(person_tagger.MODEL_FILE).read_text(encoding="utf-8")
    loaded = json.loads(raw)
    assert loaded["labels"] == list(person_tagger.LABELS)
    assert all(len(row) == 3 for row in list(loaded["weights"].values())[:100])
    assert person_tagger.model() is person_tagger.model()
    assert not raw.startswith("\x80")                 # not a pickle


@pytest.mark.parametrize("short, full, expected", [
    ("Halvorsen", "Ingrid Halvorsen", True),
    ("Tomas Reyes", "Tomas P. Reyes", True),
    ("T. Reyes", "Tomas P. Reyes", True),
    ("Ingrid Halvorsen", "Per Halvorsen", False),
    ("Reyes", "Tomas Reyes-Ortiz", False),
])
def test_compatible_spellings(short, full, expected):
    assert person_names.compatible(person_names.words(short), person_names.words(full)) is expected


@pytest.mark.parametrize("seen, name, expected", [
    (["Halvorsen", "Ingrid Halvorsen"], "Halvorsen", "Ingrid Halvorsen"),
    (["Tomas Reyes", "Tomas P. Reyes"], "Tomas Reyes", "Tomas P. Reyes"),
    (["Ingrid Halvorsen", "Per Halvorsen"], "Halvorsen", "Halvorsen"),
    (["Ingrid Halvorsen", "Per Halvorsen"], "Per Halvorsen", "Per Halvorsen"),
    (["Jens Stoltenberg"], "Stoltenberg", "Stoltenberg"),          # gazetteer names are not in the table
])
def test_name_table_gives_the_fullest_spelling(seen, name, expected):
    assert person_names.NameTable(seen).canonical(name) == expected


def _export(index_dir) -> dict[str, list[str]]:
    with indexer.open_index(index_dir).searcher() as searcher:
        return {f["id"]: f.get("person", "").split("\n") for f in searcher.all_stored_fields()}


def test_one_spelling_across_the_index(tmp_path):
    writer = indexer.Indexer(tmp_path)
    first = articles.from_record({"id": "a", "title": "Fishery talks", "body":
                                  "Halvorsen, the chief negotiator, said the talks would resume."})
    assert first.persons == ["Halvorsen"]
    writer.write([first])
    writer.write([articles.from_record({"id": "b", "title": "Fishery deal", "body":
                                        "Chief negotiator Ingrid Halvorsen said the deal was done."})])
    assert _export(tmp_path) == {"a": ["Ingrid Halvorsen"], "b": ["Ingrid Halvorsen"]}
    # A new writer rebuilds the table from the index.
    indexer.Indexer(tmp_path).write([articles.from_record({"id": "c", "title": "Fishery vote", "body":
                                                           "Halvorsen, the chief negotiator, spoke."})])
    assert _export(tmp_path)["c"] == ["Ingrid Halvorsen"]


def test_a_shared_surname_stays_as_written_in_the_index(tmp_path):
    writer = indexer.Indexer(tmp_path)
    writer.write([Article(id="a", title="t", body="b", persons=["Ingrid Halvorsen"]),
                  Article(id="b", title="t", body="b", persons=["Per Halvorsen"]),
                  Article(id="c", title="t", body="b", persons=["Halvorsen"])])
    assert _export(tmp_path)["c"] == ["Halvorsen"]


CONLL = """-DOCSTART- O

Finance O
Minister O
Ola I-PER
Brekke I-PER
spoke O
. O

Kari B-PER
Nordby I-PER
Lund B-PER
met O
Oslo I-LOC
"""


def test_training_reads_conll_persons(tmp_path):
    path = tmp_path / "tiny.conll"
    path.write_text(CONLL, encoding="utf-8")
    sentences = train_persons.read_conll(path)
    assert [[(w, b) for w, b, p in s if p] for s in sentences] == [
        [("Ola", True), ("Brekke", False)],
        [("Kari", True), ("Nordby", False), ("Lund", True)]]
    text, tokens, labels = train_persons.to_example(sentences[1])
    assert list(zip([t.text for t in tokens], labels)) == [
        ("Kari", "B"), ("Nordby", "I"), ("Lund", "B"), ("met", "O"), ("Oslo", "O")]


def test_training_is_reproducible(tmp_path):
    path = tmp_path / "tiny.conll"
    path.write_text(CONLL, encoding="utf-8")
    first, second = train_persons.train([path], epochs=2), train_persons.train([path], epochs=2)
    assert first == second and first["labels"] == ["B", "I", "O"] and first["weights"]


@pytest.mark.parametrize("text, expected", [
    ("The report was signed by P.V. Raghunathan of the commission.", "P.V. Raghunathan"),
    ("Critics quoted Franklin D. Marwick at length.", "Franklin D. Marwick"),
    ("Police named the driver as Siobhan O'Rourke.", "Siobhan O'Rourke"),
    ("The talks were chaired by Senator Alfonso D'Avila.", "Alfonso D'Avila"),
    ("Seoul said Pak Chol-su had crossed the border.", "Pak Chol-su"),
    ("The father, Teodor Vancheva, 52, was questioned by police.", "Teodor Vancheva"),
    ("Hurricane forecaster Lixuan Obiang said the storm was weakening.", "Lixuan Obiang"),
    ("The case against surgeon Renko Abilov was dropped.", "Renko Abilov"),
    ("Crowds cheered the visiting composer Ilkka Vartiainen.", "Ilkka Vartiainen"),
])
def test_initials_apostrophes_hyphens_ages_and_lower_case_roles(text, expected):
    assert expected in people(text)


@pytest.mark.parametrize("text, expected", [
    ("Film director Neil Jordan said the script was ready.", "Neil Jordan"),
    ("The coach, Wayne Jordan, said his players were tired.", "Wayne Jordan"),
])
def test_a_country_word_after_a_given_name_is_a_surname_not_a_place(text, expected):
    found = entities.extract("", text)
    assert expected in found.persons and "Jordan" not in found.countries


@pytest.mark.parametrize("text, absent", [
    ("Analysts at Goldman Sachs expect the rate to rise.", "Goldman Sachs"),
    ("Shares of Eli Lilly rose after the ruling.", "Eli Lilly"),
    ("Pirelli said its tyre sales fell.", "Pirelli"),
    ("The Taleban said they had taken the town.", "Taleban"),
    ("Korvex Corp reported a loss. Korvex said costs had risen.", "Korvex"),
    ("Traders said the market was quiet.", "Traders"),
    ("Officials blamed the Consumer Price Index for the rise.", "Consumer Price Index"),
    ("The Kohl-era reforms were undone.", "Kohl-era"),
    ("Halvorsen's Institute opened a new office.", "Halvorsen's Institute"),
    ("Deliveries to Nordvik Oy resumed on Monday.", "Nordvik Oy"),
    ("The daily Gazeta Sofiyska said the vote was rigged.", "Gazeta Sofiyska"),
    ("Tourists flocked to Mentley Abbey on Sunday.", "Mentley Abbey"),
    ("An analyst at Drexel Burnham Lambert said the bid was fair.", "Lambert"),
])
def test_firms_papers_and_places_that_look_like_names(text, absent):
    assert absent not in people(text)


@pytest.mark.parametrize("body, expected", [
    ("Title\n\nK.T. Raghavan\nJAKARTA 1996-12-06\nThe talks went on.", "K.T. Raghavan"),
    ("Title\n\nGeert van Bemmel\nBRUSSELS 1996-08-22\nThe talks went on.", "Geert van Bemmel"),
    ("K.T. Raghavan JAKARTA 1996-12-06 The talks went on.", "K.T. Raghavan"),
])
def test_bylines_with_initials_and_particles(body, expected):
    assert expected in people(body)


def test_a_lone_surname_before_a_reporting_verb_counts():
    text = "Grain exports would double by 2000, Velikanov said on Monday."
    assert "Velikanov" in people(text)


def test_the_word_lists_load_once_as_buckets():
    common = person_tagger.buckets(person_tagger.LEXICON_FILE)
    names = person_tagger.buckets(person_tagger.NAMES_FILE)
    assert float(common["minister"]) > float(common.get("halvorsen", "0"))
    assert names["james"] == "given" and names["smith"] == "s1k"
    assert person_tagger.buckets(person_tagger.LEXICON_FILE) is common
