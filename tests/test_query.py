"""Any text a person types or pastes is searched sensibly: compounds, punctuation, long pastes."""
from __future__ import annotations

import re

import pytest

from chancery.search import articles, indexer
from chancery.search.query import MAX_QUERY_CHARS, MAX_TERMS, QueryError, cut, parse, text_terms
from chancery.search.searcher import SearchRequest, Service

# Our own short news items, each built around one of the words the issue names.
RECORDS = [
    ("brussels", "Brussels weighs anti-Russia sanctions",
     "European ministers debated a new round of anti-Russia sanctions over the conflict."),
    ("moscow", "Moscow promises an answer",
     "Russia said it would answer any new sanctions with measures of its own."),
    ("geneva", "U.S.-Russia talks resume in Geneva",
     "Negotiators from the U.S. and Russia met in Geneva for talks on arms control."),
    ("vote", "Pro-Western parties win the vote",
     "Pro-Western parties gained a majority in parliament, observers said."),
    ("euro", "Franco-German plan for the euro zone",
     "Paris and Berlin presented a Franco-German plan for common budget rules."),
    ("islands", "Sino-Japanese tensions over islands",
     "Sino-Japanese relations cooled after a quarrel over small islands at sea."),
    ("pact", "Post-Soviet states sign an energy pact",
     "Leaders of several post-Soviet states signed an energy pact on Friday."),
    ("cabinet", "Cabinet shake-ups in the capital",
     "The president announced shake-ups in the cabinet after the elections."),
    ("agency", "A newly-created agency for refugees",
     "The newly-created agency will coordinate aid for refugees in the region."),
    ("ankara", "Lavrov meets his counterpart",
     "Foreign Minister Sergei Lavrov met the Turkish foreign minister in Ankara on Monday."),
    ("blocs", "Talks on free-trade areas stall",
     "Talks on free-trade areas between the two blocs stalled over farm subsidies."),
    ("banks", "Washington adds banks to its list",
     "Officials in Washington said the United States would add two banks to its list of sanctions."),
    ("exporters", "Canada penalises exporters",
     "Canada imposed sanctions on three exporters of dual-use goods."),
    ("migration", "The United States and Mexico discuss migration",
     "The United States and Mexico held a round of talks on migration and border crossings."),
    ("anti", "Western states debate",
     "Several states were anti the plan at first, and Russia stayed away from the debate."),
]


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    folder = tmp_path_factory.mktemp("compounds")
    indexer.Indexer(folder).write([articles.from_record({"id": i, "title": t, "body": b}) for i, t, b in RECORDS])
    return Service(folder)


def ids(response):
    return [r["id"] for r in response["results"]]


@pytest.mark.parametrize("q, first, also", [
    ("anti-Russia sanctions", "brussels", {"moscow", "geneva", "anti", "exporters"}),
    ("U.S.-Russia talks", "geneva", {"moscow", "brussels", "blocs"}),
    ("pro-Western", "vote", {"anti"}),
    ("Franco-German", "euro", set()),
    ("Sino-Japanese", "islands", set()),
    ("post-Soviet", "pact", set()),
    ("shake-ups", "cabinet", set()),
    ("newly-created", "agency", set()),
    ("Who met Lavrov?", "ankara", set()),
    ("(talks on free-trade areas)", "blocs", {"geneva", "migration"}),
    ("free-trade!", "blocs", set()),
    ('"anti-Russia sanctions', "brussels", {"moscow"}),
    ("anti-Russia) sanctions:", "brussels", {"moscow"}),
    ("\U0001f1f7\U0001f1fa newly-created agency \U0001f600", "agency", set()),
])
def test_compounds_and_punctuation_are_words(service, q, first, also):
    found = ids(service.search(SearchRequest(q=q, per_page=100)))
    assert found[0] == first
    # A hyphenated word never excludes the articles that hold one of its parts.
    assert also <= set(found)


@pytest.mark.parametrize("q", ["the of and", "?", "!!! ... ???", "\U0001f600", "-", '"', "( )", "NOT", "AND OR"])
def test_queries_with_no_searchable_word_find_nothing(service, q):
    response = service.search(SearchRequest(q=q))
    assert (response["total"], response["results"]) == (0, [])


@pytest.mark.parametrize("q, expected", [
    ("sanctions -Russia", {"exporters", "banks"}),
    ("sanctions +Russia", {"brussels", "moscow", "geneva", "anti"}),
    ('"free-trade areas"', {"blocs"}),
    ("Russia AND sanctions", {"brussels", "moscow"}),
    ("Canada OR Mexico", {"exporters", "migration"}),
    ("NOT sanctions", {i for i, _, _ in RECORDS} - {"brussels", "moscow", "banks", "exporters"}),
    ("person:Lavrov", {"ankara"}),
    ("country:USA -title:Washington", {"migration", "geneva"}),
    ("(Canada OR Mexico) -migration", {"exporters"}),
])
def test_explicit_operators_still_work(service, q, expected):
    assert set(ids(service.search(SearchRequest(q=q, per_page=100)))) == expected


def test_a_compound_phrase_ranks_above_its_scattered_parts(service):
    found = ids(service.search(SearchRequest(q="anti-Russia", per_page=100)))
    assert found.index("brussels") < found.index("anti")


def test_a_country_named_in_the_query_matches_its_aliases(service):
    found = ids(service.search(SearchRequest(q="USA sanctions", per_page=100)))
    # "banks" says only "Washington" and "the United States"; "migration" has no sanctions at all.
    assert found[0] == "banks"
    assert found.index("banks") < found.index("exporters")
    assert "migration" in found


@pytest.mark.parametrize("q, first", [("Lavrov talks", "ankara"), ("Who met Sergei Lavrov?", "ankara")])
def test_a_person_named_in_the_query_matches_their_articles(service, q, first):
    found = ids(service.search(SearchRequest(q=q, per_page=100)))
    assert found[0] == first


def test_a_pasted_page_is_searched_by_its_rarest_words(service):
    block = ("The officials said that the meeting was held on Tuesday and the talks went on. "
             "A newly-created agency for refugees opened its offices. ")
    text = cut(block * 200)
    assert len(text) > 19_000
    response = service.search(SearchRequest(q=text))
    assert ids(response)[0] == "agency"
    assert response["suggestion"] is None


def test_a_query_longer_than_the_limit_is_cut_at_a_space():
    text = "word " * (MAX_QUERY_CHARS // 5 + 100)
    assert len(cut(text)) <= MAX_QUERY_CHARS and cut(text).endswith("word")
    assert cut("short query") == "short query"


def test_a_long_query_keeps_a_bounded_number_of_words(service):
    many = " ".join(f"w{n}x{n}" for n in range(500)) + " Sino-Japanese"
    tree = parse(many, service.snapshot().searcher)
    assert len(text_terms(tree)) <= MAX_TERMS
    assert "japanes" in text_terms(tree)


@pytest.mark.parametrize("q", ["url:x", "Lavrov author:smith"])
def test_an_unknown_field_is_still_an_error(service, q):
    with pytest.raises(QueryError, match="unknown field"):
        service.search(SearchRequest(q=q))


def test_no_typed_text_makes_the_parser_fail(service):
    import random
    rng = random.Random(3)
    pieces = ['"', "(", ")", "-", "+", "*", ":", "?", "!", " ", "AND", "OR", "NOT", "title:", "person:",
              "Russia", "anti-", "talks", "\u201c", "\U0001f600", "x", "country:", "a*", "10:30"]
    for _ in range(500):
        q = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 12)))
        try:
            assert service.search(SearchRequest(q=q))["total"] >= 0
        except QueryError as error:
            # Glued pieces can name a field on purpose ("talkscountry:x"): the one refusal left.
            assert "unknown field" in str(error) and re.search(r"(^|[\s(+-])[a-z_]+:", q), q
