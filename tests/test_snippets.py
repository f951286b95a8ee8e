"""Snippets: the passages with the query's terms, marked, with all text escaped."""
from __future__ import annotations

import pytest

from chancery.search.snippets import snippet


@pytest.mark.parametrize("body, terms, expected", [
    ("Tom & Jerry <b>met</b> on sanctions.", {"sanction"},
     "Tom &amp; Jerry &lt;b&gt;met&lt;/b&gt; on <mark>sanctions</mark>."),
    ("The Sanctions and SANCTIONS.", {"sanction"}, "The <mark>Sanctions</mark> and <mark>SANCTIONS</mark>."),
    ("Nicolás Maduro spoke.", {"nicola"}, "<mark>Nicolás</mark> Maduro spoke."),
    ("No match here.", {"sanction"}, "No match here."),
    ("Anything at all.", set(), "Anything at all."),
    ("<script>alert(1)</script>", {"alert"}, "&lt;script&gt;<mark>alert</mark>(1)&lt;/script&gt;"),
])
def test_snippet(body, terms, expected):
    assert snippet(body, terms) == expected


def test_long_body_is_cut_around_the_matches():
    body = "filler " * 100 + "the ceasefire held " + "filler " * 100 + "and sanctions stayed " + "filler " * 100
    result = snippet(body, {"ceasefir", "sanction"})
    assert "<mark>ceasefire</mark>" in result and "<mark>sanctions</mark>" in result
    assert len(result) < 400
    assert result.startswith("… ") and result.endswith(" …")


def test_long_body_without_match_is_its_start():
    result = snippet("A <i>b</i> " + "word " * 100, set())
    assert result.startswith("A &lt;i&gt;b&lt;/i&gt; word") and result.endswith(" …")
    assert len(result) <= 250


@pytest.mark.parametrize("body, terms, marked", [
    ("Many countries agreed.", {"countri", "agre"}, ["countries", "agreed"]),
    ("Sanctions, sanctioned and SANCTIONING.", {"sanction"}, ["Sanctions", "sanctioned", "SANCTIONING"]),
    ("President Nicolás Maduro", {"nicola"}, ["Nicolás"]),
    ("Presidents preside; a presidency.", {"presid"}, ["Presidents", "preside", "presidency"]),
    ("The pre-sanction era", {"sanction"}, ["sanction"]),
])
def test_only_words_with_the_terms_are_marked(body, terms, marked):
    import re
    assert re.findall(r"<mark>(.*?)</mark>", snippet(body, terms)) == marked
