"""The analyzer: tokens, folding, stop words, stems, offsets, pickling."""
from __future__ import annotations

import pickle

import pytest
from whoosh.lang.snowball.english import EnglishStemmer

from chancery.search import analysis
from conftest import SEEDS


@pytest.mark.parametrize("text, terms", [
    ("Sanctions were lifted", ["sanction", "lift"]),
    ("The talks and the TALKS", ["talk", "talk"]),
    ("Nicolás Maduro", ["nicola", "maduro"]),
    ("Genève café", ["genev", "cafe"]),
    ("of the and to", []),
    ("US-Russian relations", ["us", "russian", "relat"]),
    ("Resolution 2264", ["resolut", "2264"]),
    ("Поделиться новостью", ["поделиться", "новостью"]),
    ("Russia's position", ["russia", "posit"]),
    ("snake_case", ["snake", "case"]),
])
def test_terms(text, terms):
    assert analysis.terms(text) == terms
    assert [token.text for token in analysis.analyzer()(text)] == terms      # the analyzer's own


def test_terms_are_the_analyzers_on_every_seed():
    for path in sorted(SEEDS.glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        assert analysis.terms(text) == [token.text for token in analysis.analyzer()(text)], path.name


def test_tokens_keep_offsets_and_positions():
    text = "Ceasefire talks in Syria"
    # Whoosh reuses one Token object, so read each as it comes.
    tokens = [(t.text, t.pos, text[t.startchar:t.endchar])
              for t in analysis.analyzer()(text, positions=True, chars=True)]
    assert tokens == [("ceasefir", 0, "Ceasefire"), ("talk", 1, "talks"), ("syria", 2, "Syria")]


@pytest.mark.parametrize("word", ["sanctions", "negotiations", "generously", "hostilities",
                                  "cessation", "disastrous", "importance", "relations", "running"])
def test_nltk_stems_agree_with_whoosh_snowball(word):
    assert analysis.stem(word) == EnglishStemmer().stem(word)


def test_stop_words_are_shipped():
    assert {"the", "and", "of", "was"} <= analysis.stopwords()
    assert len(analysis.stopwords()) >= 150


def test_analyzer_survives_pickling():
    restored = pickle.loads(pickle.dumps(analysis.analyzer()))
    assert [t.text for t in restored("Negotiations continued")] == ["negoti", "continu"]


SAMPLES = [path.read_text(encoding="utf-8") for path in sorted(SEEDS.glob("*.txt"))] + [
    "", "the", "The the THE", "Genève, café — Поделиться: ΑΘΗΝΑ 2264 snake_case x", "a b c d e f g",
]


@pytest.mark.parametrize("text", SAMPLES)
@pytest.mark.parametrize("options", [
    {}, {"positions": True, "chars": True}, {"positions": True, "removestops": False},
    {"no_morph": True, "positions": True}, {"positions": True, "start_pos": 5, "chars": True, "start_char": 7},
    {"tokenize": False},
])
def test_fused_analyzer_gives_the_pipelines_tokens(text, options):
    def read(analyzer):
        return [(t.text, getattr(t, "pos", None), getattr(t, "startchar", None), getattr(t, "endchar", None),
                 t.stopped) for t in analyzer(text, **options)]
    assert read(analysis.analyzer()) == read(analysis.pipeline())


def test_index_mode_caps_positions_of_one_term():
    text = "sanctions " * (analysis.MAX_POSITIONS + 50) + "talks"
    indexed = [t.text for t in analysis.analyzer()(text, mode="index")]
    assert indexed.count("sanction") == analysis.MAX_POSITIONS and indexed[-1] == "talk"
    composed = [t.text for t in analysis.pipeline()(text, mode="index")]
    assert composed == indexed
    assert analysis.terms(text).count("sanction") == analysis.MAX_POSITIONS + 50   # queries are never capped


def test_the_stemmer_is_imported_without_scipy_stats_which_stays_importable():
    import subprocess
    import sys
    code = ("import sys; from chancery.search import analysis; assert 'scipy.stats' not in sys.modules; "
            "assert analysis.terms('Negotiations') == ['negoti']; import scipy.stats; print(scipy.stats.norm.cdf(0))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "0.5"
