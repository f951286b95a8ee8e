"""Give a person outside the gazetteer one spelling across the whole index: the fullest seen.

An article names "Halvorsen", another "Ingrid Halvorsen", a third "Tomas Reyes" and a
fourth "Tomas P. Reyes". The table groups the spellings of the index by surname and
maps each to the fullest spelling it is compatible with (its words, in order, are
those of the fuller one or their initials), unless two different fuller people share
it ("Halvorsen" beside "Ingrid Halvorsen" and "Per Halvorsen" stays as it is).

The table is derived from the index itself (the person field's terms) when the
indexer opens it, and updated with every batch it writes, so it needs no side file
that could disagree with the index after a crash.
"""
from __future__ import annotations

from collections import defaultdict
from functools import lru_cache
from typing import Iterable

from chancery.search import entities


@lru_cache(maxsize=100_000)
def words(name: str) -> tuple[str, ...]:
    """Return the matching forms of a name's words."""
    return tuple(token.low for token in entities.tokenize(name) if token.text != ",")


def compatible(short: tuple[str, ...], full: tuple[str, ...]) -> bool:
    """Tell whether a name's words are, in order, words of a fuller name or their initials."""
    if not short or not full or short[-1] != full[-1]:
        return False
    rest = iter(full[:-1])
    for word in short[:-1]:
        if not any(other == word or (len(word) == 1 and other.startswith(word)) for other in rest):
            return False
    return True


class NameTable:
    """The spellings of people outside the gazetteer seen in an index, by surname."""

    def __init__(self, names: Iterable[str] = ()):
        self.by_surname: dict[str, set[str]] = defaultdict(set)
        self.add(names)

    def add(self, names: Iterable[str]) -> None:
        """Remember spellings (gazetteer names are canonical already and left out)."""
        known = entities.gazetteer().aliases
        for name in names:
            split = words(name)
            if split and name not in known:
                self.by_surname[split[-1]].add(name)

    def canonical(self, name: str) -> str:
        """Return the fullest spelling of the one person a name can mean, else the name."""
        split = words(name)
        if not split or name in entities.gazetteer().aliases:
            return name                               # the gazetteer's canonical names stay
        # One spelling per word sequence (accents aside): the longest, then the first in order.
        spellings: dict[tuple, str] = {}
        for other in sorted(self.by_surname.get(split[-1], ()), key=lambda n: (-len(n), n)):
            if compatible(split, words(other)):
                spellings.setdefault(words(other), other)
        # The fullest spellings that no other is fuller than: one person, or several.
        tops = [a for a in spellings if not any(b != a and compatible(a, b) for b in spellings)]
        return spellings[tops[0]] if len(tops) == 1 else name

    def resolve(self, names: Iterable[str]) -> list[str]:
        """Return the canonical spellings of names, each once, in order."""
        return list(dict.fromkeys(self.canonical(name) for name in names))


def from_index(searcher) -> NameTable:
    """Build the table from the person values of an index."""
    values = (term.decode("utf-8") if isinstance(term, bytes) else term for term in searcher.lexicon("person"))
    return NameTable(values)
