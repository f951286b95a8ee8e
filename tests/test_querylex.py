"""Which characters of a query are operators and which are text."""
from __future__ import annotations

import pytest

from chancery.search.querylex import tokenize, words


def kinds(text):
    return [(t.kind, t.text) + (("*",) if t.prefix else ()) for t in tokenize(text)]


@pytest.mark.parametrize("text, expected", [
    ("anti-Russia sanctions", [("word", "anti-Russia"), ("word", "sanctions")]),
    ("U.S.-Russia talks", [("word", "U.S.-Russia"), ("word", "talks")]),
    ("-Russia sanctions", [("minus", ""), ("word", "Russia"), ("word", "sanctions")]),
    ("sanctions -Russia", [("word", "sanctions"), ("minus", ""), ("word", "Russia")]),
    ("sanctions +Russia", [("word", "sanctions"), ("plus", ""), ("word", "Russia")]),
    ("peace - war", [("word", "peace"), ("word", "-"), ("word", "war")]),
    ("2+2 talks", [("word", "2+2"), ("word", "talks")]),
    ("Who met Lavrov?", [("word", "Who"), ("word", "met"), ("word", "Lavrov?")]),
    ("sanct*", [("word", "sanct", "*")]),
    ("sa*ctions", [("word", "sa*ctions")]),
    ("*", [("word", "*")]),
    ('"cessation of hostilities" Syria', [("phrase", "cessation of hostilities"), ("word", "Syria")]),
    ('\u201cMinsk agreement\u201d', [("phrase", "Minsk agreement")]),
    ('"unclosed quote', [("word", '"unclosed'), ("word", "quote")]),
    ('a "b" c"', [("word", "a"), ("phrase", "b"), ("word", 'c"')]),
    ("(talks on free-trade areas)", [("open", ""), ("word", "talks"), ("word", "on"),
                                     ("word", "free-trade"), ("word", "areas"), ("close", "")]),
    ("(unbalanced talks", [("word", "(unbalanced"), ("word", "talks")]),
    ("talks)", [("word", "talks)")]),
    ("person:Lavrov", [("field", "person"), ("word", "Lavrov")]),
    ('person:"Sergei Lavrov"', [("field", "person"), ("phrase", "Sergei Lavrov")]),
    ("-country:Iran", [("minus", ""), ("field", "country"), ("word", "Iran")]),
    ("Note: the talks", [("word", "Note:"), ("word", "the"), ("word", "talks")]),
    ("Update:Geneva", [("word", "Update:Geneva")]),
    ("at 10:30 today", [("word", "at"), ("word", "10:30"), ("word", "today")]),
    ("Kerry AND Lavrov", [("word", "Kerry"), ("and", ""), ("word", "Lavrov")]),
    ("Kerry and Lavrov", [("word", "Kerry"), ("word", "and"), ("word", "Lavrov")]),
    ("NOT Kerry", [("not", ""), ("word", "Kerry")]),
    ("SANCTIONS AND EMBARGOES", [("word", "SANCTIONS"), ("word", "AND"), ("word", "EMBARGOES")]),
    ("\U0001f1f7\U0001f1fa sanctions \U0001f600",
     [("word", "\U0001f1f7\U0001f1fa"), ("word", "sanctions"), ("word", "\U0001f600")]),
    ("", []),
])
def test_tokens(text, expected):
    assert kinds(text) == expected


@pytest.mark.parametrize("text, expected", [
    ('"a" (b) c* d:e +f', " a   b  c  d e  f"),
    ("anti-Russia?", "anti-Russia?"),
])
def test_fallback_words_drop_operator_characters(text, expected):
    assert words(text) == expected
