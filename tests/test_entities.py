"""The entity extractor beyond the seeds: aliases, traps, surnames, topics."""
from __future__ import annotations

import pytest

from chancery.search import data, entities


def countries(text: str) -> list[str]:
    return entities.extract("", text).countries


def persons(text: str) -> list[str]:
    return entities.extract("", text).persons


@pytest.mark.parametrize("text, expected", [
    ("Officials in the USA said so.", "United States"),
    ("The U.S. embassy said so.", "United States"),
    ("US troops left.", "United States"),
    ("The UK and the EU met.", "United Kingdom"),
    ("Talks in the U.K. ended.", "United Kingdom"),
    ("The DPRK fired a missile.", "North Korea"),
    ("The ROK navy responded.", "South Korea"),
    ("The UAE mediated.", "United Arab Emirates"),
    ("A Belarusian delegation arrived.", "Belarus"),
    ("North Korean officials declined.", "North Korea"),
    ("Syrian forces advanced.", "Syria"),
    ("The Kremlin said nothing.", "Russia"),
    ("The White House responded.", "United States"),
    ("Pyongyang rejected the offer.", "North Korea"),
    ("Damascus welcomed it.", "Syria"),
    ("Kyiv and Kiev are one city.", "Ukraine"),
    ("Moscow and Washington agree.", "United States"),
    ("The Soviet Union collapsed in 1991.", "Soviet Union"),
    ("The USSR and the United States signed.", "Soviet Union"),
    ("East Germany opened the wall.", "East Germany"),
    ("West Germany joined NATO in 1955.", "Germany"),
    ("Yugoslavia broke apart.", "Yugoslavia"),
    ("Czechoslovakia split in 1993.", "Czechoslovakia"),
    ("Burma held elections.", "Myanmar"),
    ("Zaire was renamed.", "Democratic Republic of the Congo"),
    ("Côte d'Ivoire and Cote d'Ivoire both.", "Ivory Coast"),
    ("Papua New Guinea voted.", "Papua New Guinea"),
    ("Turkey's parliament voted.", "Turkey"),
    ("Türkiye's parliament voted.", "Turkey"),
    ("The president visited Jordan on Monday.", "Jordan"),
    ("Troops left Chad last year.", "Chad"),
    ("Georgia and Russia fought in 2008.", "Georgia (country)"),
    ("The SAR government said, according to Syria's envoy.", "Syria"),
    ("RUSSIA AND CHINA SIGN DEAL", "Russia"),
])
def test_country_aliases(text, expected):
    assert expected in countries(text)


@pytest.mark.parametrize("text, unexpected", [
    ("Michael Jordan played in Chicago.", "Jordan"),
    ("Jordan Peterson spoke.", "Jordan"),
    ("Chad Smith joined the band.", "Chad"),
    ("They ate turkey at dinner.", "Turkey"),
    ("Atlanta, Georgia is hot in summer.", "Georgia (country)"),
    ("The state of Georgia voted.", "Georgia (country)"),
    ("Georgia Tech won the game.", "Georgia (country)"),
    ("The island of New Guinea is large.", "Guinea"),
    ("Tension on the Korean Peninsula rose.", "South Korea"),
    ("Tension on the Korean Peninsula rose.", "North Korea"),
    ("Latin America and South America.", "United States"),
    ("George Washington crossed the river.", "United States"),
    ("They signed the Minsk agreements; the provisions of Minsk stand.", "Belarus"),
    ("The SAR team rescued climbers.", "Syria"),
    ("The us and them of politics.", "United States"),
])
def test_country_traps(text, unexpected):
    assert unexpected not in countries(text)


@pytest.mark.parametrize("text, expected", [
    ("Foreign Minister Sergei Lavrov said.", "Sergey Lavrov"),
    ("Foreign Minister Sergey Lavrov said.", "Sergey Lavrov"),
    ("Aide Yury Ushakov said.", "Yuri Ushakov"),
    ("John F. Kerry arrived.", "John Kerry"),
    ("Kim Jong-un and Kim Jong Un are one man.", "Kim Jong Un"),
    ("Nicolas Maduro spoke.", "Nicolás Maduro"),
    ("Nicolás Maduro spoke.", "Nicolás Maduro"),
    ("Michael Pompeo arrived.", "Mike Pompeo"),
    ("Dmitri Medvedev said.", "Dmitry Medvedev"),
    ("Volodymyr Zelensky and Vladimir Zelensky.", "Volodymyr Zelenskyy"),
    ("Recep Tayyip Erdogan visited.", "Recep Tayyip Erdoğan"),
    ("[Sergey] Lavrov said.", "Sergey Lavrov"),
    ("President Obama's pledge stands.", "Barack Obama"),
    ("Kerry's and Steinmeier's visit.", "Frank-Walter Steinmeier"),
    ("Kremlin spokesman Dmitry Peskov said.", "Dmitry Peskov"),
    ("Dmitry Suslov, deputy director of the Center, said.", "Dmitry Suslov"),
    ("The head of the institute, Mikhail Remizov, said.", "Mikhail Remizov"),
    ("Anna Petrova said the talks failed.", "Anna Petrova"),
    ("Israel Katz said Israel would respond.", "Israel Katz"),
    ("George H.W. Bush met Gorbachev.", "George H. W. Bush"),
])
def test_person_aliases(text, expected):
    assert expected in persons(text)


@pytest.mark.parametrize("text, expected", [
    # The article's full mention decides what a shared surname means.
    ("Hillary Clinton arrived. Later Clinton said more.", ["Hillary Clinton"]),
    ("Bill Clinton arrived. Later Clinton said more.", ["Bill Clinton"]),
    ("Bashar al-Assad spoke. Assad's fate was discussed.", ["Bashar al-Assad"]),
    # Without one, and without a date, it stays as written: a Clinton, but which one.
    ("Clinton said more.", ["Clinton"]),
    ("Assad's fate was discussed.", ["Assad"]),
    ("Major John spoke of a major war in May.", []),
])
def test_surname_resolution(text, expected):
    assert persons(text) == expected


@pytest.mark.parametrize("text, name", [
    ("TASS reported the talks.", "TASS"),
    ("Interfax cited him.", "Interfax"),
    ("RIA Novosti reports the crash.", "RIA Novosti"),
    ("The Taliban called on talks.", "Taliban"),
    ("The State Department said.", "State Department"),
    ("The President of the National Strategy Institute said.", "National Strategy Institute"),
    ("Geneva and Minsk hosted talks.", "Geneva"),
    ("Rostov-on-Don mourned.", "Rostov-on-Don"),
    ("Vestnik Kavkaza wrote.", "Vestnik Kavkaza"),
    ("The UN Security Council met.", "Security Council"),
    ("Christian Democrats said.", "Christian Democrats"),
    ("John Hopkins University said.", "John Hopkins University"),
])
def test_never_a_person(text, name):
    assert name not in persons(text)
    assert all(not p.endswith(("University", "Institute")) for p in persons(text))


def test_gazetteer_size():
    people = {row["name"] for row in data.table("persons.tsv")}
    assert len(people) >= 400
    codes = {row["code"] for row in data.table("countries.tsv")}
    # 193 UN members and 2 observers have two-letter codes, plus territories.
    assert len([c for c in codes if len(c) == 2]) >= 195


def test_canonical_names_are_unique_per_kind():
    names = [row["name"].lstrip("~") for row in data.table("countries.tsv")]
    assert len(names) == len(set(names))
    codes = [row["code"] for row in data.table("countries.tsv")]
    assert len(codes) == len(set(codes))


@pytest.mark.parametrize("value, expected", [
    ("USA", "United States"), ("us", "United States"), ("Syrian Arab Republic", "Syria"),
    ("sy", "Syria"), ("Kiev", "Ukraine"), ("Atlantis", None),
])
def test_canonical_country(value, expected):
    assert entities.canonical_country(value) == expected


@pytest.mark.parametrize("value, expected", [
    ("Sergei Lavrov", "Sergey Lavrov"), ("sergey lavrov", "Sergey Lavrov"), ("Lavrov", "Sergey Lavrov"),
    ("Kim Jong-un", "Kim Jong Un"), ("Nobody Special", None),
])
def test_canonical_person(value, expected):
    assert entities.canonical_person(value) == expected


def test_topic_slugs_match_the_contract():
    contract = {"armed-conflict", "peace-process", "terrorism", "sanctions", "arms-control",
                "security-alliances", "cybersecurity", "humanitarian", "human-rights", "elections",
                "bilateral-relations", "territorial-disputes", "trade", "energy", "disasters", "health"}
    assert contract <= set(entities.gazetteer().topics)
