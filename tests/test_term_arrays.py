"""A segment's term dictionary and frequent postings saved beside it and mapped by readers."""
from __future__ import annotations

import numpy as np
import pytest
from whoosh import index as whoosh_index

from chancery.cli import cli
from chancery.search import array_file, articles, indexer, segment_files, snapshot
from chancery.search import term_arrays
from chancery.search.searcher import SearchRequest, Service

EXTRA = [{"id": f"x{n}", "title": f"Kerry and Lavrov talks, note {n}", "published": "2016-03-25",
          "body": f"John Kerry held talks with Sergey Lavrov in Moscow on Syria, note {n}."} for n in range(3)]
QUERIES = ["Kerry Lavrov", '"foreign minister"', "Syria talks", "Putin OR Pompeo", "title:Moscow",
           "Kerry talks Lavrov Moscow Syria", "minister -Kerry"]


@pytest.fixture
def two_segments(index_dir, monkeypatch):
    """The seeds' index with a second segment; a term in 2 documents of a segment counts as term_arrays."""
    indexer.Indexer(index_dir).write([articles.from_record(record) for record in EXTRA])
    for path in index_dir.glob(f"*{term_arrays.SUFFIX}"):
        path.unlink()                   # the seeds' import saved them: saved again by the tests' thresholds
    monkeypatch.setattr(term_arrays, "FREQUENT_DOCS", 2)
    return index_dir


def leaves(index_dir):
    ix = whoosh_index.open_dir(index_dir, indexname=indexer.INDEX_NAME)
    reader = ix.reader()
    return reader, [leaf for leaf, _ in reader.leaf_readers()]


def is_mapped(array) -> bool:
    """Return whether an array is a view of a file mapped into memory."""
    while array is not None and not isinstance(array, np.memmap):
        array = array.base
    return array is not None


def answers(index_dir) -> list[dict]:
    service = Service(index_dir)
    found = []
    for q in QUERIES:
        response = service.search(SearchRequest(q=q))
        response.pop("took_ms")
        found.append(response)
    return found


MANY = [{"id": f"m{n}", "title": f"Talks in Geneva, round {n}", "published": "2016-03-25",
         "body": f"Sergey Lavrov met John Kerry for talks, round {n}." + (" Syria ceasefire." if n < 10 else "")}
        for n in range(12)]


@pytest.fixture
def three_segments(two_segments, monkeypatch):
    """two_segments and a segment of 12 articles where a term in 9 or 10 is read from Whoosh's postings file."""
    indexer.Indexer(two_segments).write([articles.from_record(record) for record in MANY])
    monkeypatch.setattr(term_arrays, "POSITIONS_DOCS", 2)
    monkeypatch.setattr(term_arrays, "FREQUENT_DOCS", 11)
    indexer.Indexer(two_segments).save_segment_arrays()              # the 12 articles' segment
    monkeypatch.setattr(term_arrays, "FREQUENT_DOCS", 2)
    indexer.Indexer(two_segments).save_segment_arrays()              # the two others
    return two_segments


def test_a_segments_dictionary_is_saved_with_the_frequent_and_inlined_terms_postings(three_segments):
    reader, segments = leaves(three_segments)
    assert len(segments) == 3 and all(term_arrays.load(leaf).known for leaf in segments)
    checked = {"saved": 0, "extent": 0}
    for leaf in segments:
        mapped = term_arrays.load(leaf)
        assert is_mapped(mapped.keys) and not mapped.keys.flags.writeable
        for fieldname in term_arrays.FIELDS:
            for text, info in leaf.iter_field(fieldname):
                text = text.decode("utf-8")
                entry = mapped.find(term_arrays.term_key(fieldname, text))
                assert entry.df == info.doc_frequency(), text
                if info.doc_frequency() < (11 if leaf.doc_count_all() == 12 else 2) and not info.is_inlined():
                    offset, length = info.extent()
                    assert entry.postings is None and entry.extent == (offset, np.ravel(length)[0]), text
                    checked["extent"] += 1
                    continue
                ids, weights = snapshot.read_postings(leaf, fieldname, text)
                # The seeds' weights are frequencies, some doubled by the title's boost: all fit uint8.
                assert entry.postings[0].dtype == np.uint16 and entry.postings[1].dtype == np.uint8
                assert entry.postings[0].tolist() == ids.tolist(), text
                assert entry.postings[1].tolist() == weights.tolist(), text
                checked["saved"] += 1
        assert mapped.find(term_arrays.term_key("body", "a-word-in-no-article")) is None
    assert checked["saved"] > 50 and checked["extent"] >= 2      # "syria" and "ceasefir" in the body
    reader.close()
    assert indexer.Indexer(three_segments).save_segment_arrays() == 0        # saved once


def saved_positions(index_dir):
    """Yield (leaf, field, term, entry) of every term whose positions were saved."""
    reader, segments = leaves(index_dir)
    for leaf in segments:
        mapped = term_arrays.load(leaf)
        for fieldname in term_arrays.FIELDS:
            for text in leaf.lexicon(fieldname):
                entry = mapped.find(term_arrays.term_key(fieldname, text.decode("utf-8")), positions=True)
                if entry.positions is not None:
                    yield leaf, fieldname, text.decode("utf-8"), entry
    reader.close()


@pytest.mark.parametrize("pick", [
    lambda docs: None,                                  # every document's
    lambda docs: docs,
    lambda docs: docs[:1],
    lambda docs: docs[1::2],
    lambda docs: docs[:0],
    lambda docs: np.array([0, 1, 2, 3, 11]),            # some hold the term, some not
])
def test_saved_positions_are_whooshs(three_segments, pick):
    checked = 0
    for leaf, fieldname, text, entry in saved_positions(three_segments):
        docs = np.unique(snapshot.read_positions(leaf, fieldname, text)[0])
        wanted = pick(docs)
        expected = snapshot.read_positions(leaf, fieldname, text, wanted)
        found = entry.rows(wanted)
        assert found[0].dtype == found[1].dtype == np.int32
        assert found[0].tolist() == expected[0].tolist() and found[1].tolist() == expected[1].tolist(), text
        checked += 1
    assert checked > 40


def test_phrases_and_proximity_read_no_saved_positions_from_whoosh(three_segments, monkeypatch):
    saved = {(leaf.segment().segment_id(), fieldname, text)
             for leaf, fieldname, text, _ in saved_positions(three_segments)}
    for path in three_segments.glob(f"*{term_arrays.SUFFIX}"):
        path.rename(path.with_suffix(".kept"))
    before = answers(three_segments)
    for path in three_segments.glob("*.kept"):
        path.rename(path.with_suffix(".arrays"))
    real = snapshot.read_positions

    def read(leaf, fieldname, text, wanted=None, extent=None):
        assert (leaf.segment().segment_id(), fieldname, text) not in saved, text
        return real(leaf, fieldname, text, wanted, extent)
    monkeypatch.setattr(snapshot, "read_positions", read)
    assert answers(three_segments) == before


@pytest.mark.parametrize("damage", ["counts", "no positions", "positions past the end"])
def test_saved_positions_that_do_not_add_up_are_read_from_whoosh(three_segments, damage):
    for path in three_segments.glob(f"*{term_arrays.SUFFIX}"):
        path.rename(path.with_suffix(".kept"))
    before = answers(three_segments)
    for path in three_segments.glob("*.kept"):
        arrays = {name: np.array(array) for name, array in array_file.read(path).items()}
        if damage == "counts":
            arrays["counts"][::3] += 1
        elif damage == "no positions":
            for name in ("count_ends", "position_ends", "counts", "positions"):
                del arrays[name]
        else:
            arrays["position_ends"][-1] += 5
        assert segment_files.save_arrays(path.with_suffix(".arrays"), arrays)
    reader, segments = leaves(three_segments)
    assert all(term_arrays.load(leaf).known for leaf in segments)
    reader.close()
    assert answers(three_segments) == before


@pytest.mark.parametrize("values, types, expected", [
    ([0, 3, 65535], term_arrays.ID_TYPES, np.uint16),
    ([0, 65536], term_arrays.ID_TYPES, np.int32),
    ([1.0, 2.0, 255.0], term_arrays.WEIGHT_TYPES, np.uint8),
    ([1.0, 256.0], term_arrays.WEIGHT_TYPES, np.uint16),
    ([1.0, 1.5], term_arrays.WEIGHT_TYPES, np.float32),
    ([-1.0, 2.0], term_arrays.WEIGHT_TYPES, np.float32),
    ([], term_arrays.WEIGHT_TYPES, np.uint8),
])
def test_postings_are_saved_in_the_narrowest_exact_type(values, types, expected):
    found = term_arrays.narrowest(np.array(values, np.float32 if types is term_arrays.WEIGHT_TYPES else np.int32),
                                  types)
    assert found.dtype == expected and found.tolist() == values


@pytest.mark.parametrize("saved", [True, False], ids=["arrays", "whoosh"])
def test_document_frequencies_are_whooshs(two_segments, saved):
    if saved:
        indexer.Indexer(two_segments).save_segment_arrays()
    snap = Service(two_segments).snapshot()
    reader = snap.searcher.reader()
    for fieldname in term_arrays.FIELDS:
        texts = [t.decode("utf-8") for t in reader.lexicon(fieldname)] + ["a-word-in-no-article", ""]
        expected = [reader.doc_frequency(fieldname, text) for text in texts]
        assert snap.doc_frequencies(fieldname, texts).tolist() == expected
    assert all(data.terms.known is saved for data, _, _ in snap.segments)


def dictionary_lookups(monkeypatch) -> list:
    """Record every look-up of a title or body term in Whoosh's term dictionary."""
    from whoosh.codec import whoosh3
    asked = []
    for name in ("term_info", "_range_for_key", "__contains__"):
        real = getattr(whoosh3.W3TermsReader, name)

        def spy(self, *args, real=real, name=name):
            fieldname = args[0][0] if name == "__contains__" else args[0]
            if fieldname in term_arrays.FIELDS:
                asked.append((name, args))
            return real(self, *args)
        monkeypatch.setattr(whoosh3.W3TermsReader, name, spy)
    return asked


QUERIES += ['"syria ceasefire"', "ceasefire", "Syria ceasefire Kerry Lavrov talks"]


def test_search_answers_alike_from_the_arrays_without_asking_whooshs_dictionary(three_segments, monkeypatch):
    for path in three_segments.glob(f"*{term_arrays.SUFFIX}"):
        path.rename(path.with_suffix(".kept"))
    before = answers(three_segments)                                    # every term through Whoosh
    for path in three_segments.glob("*.kept"):
        path.rename(path.with_suffix(".arrays"))
    real = snapshot.read_postings

    def read(leaf, fieldname, text, extent=None):
        if extent is None and fieldname in term_arrays.FIELDS:
            pytest.fail(f"read {fieldname}:{text} without its saved extent")
        return real(leaf, fieldname, text, extent)

    reader, segments = leaves(three_segments)
    # Whoosh keeps a few documents' positions in the dictionary entry itself: those alone are looked up.
    inlined = {(f, t) for leaf in segments for f in term_arrays.FIELDS for t, info in leaf.iter_field(f)
               if info.is_inlined()}
    reader.close()
    monkeypatch.setattr(snapshot, "read_postings", read)
    asked = dictionary_lookups(monkeypatch)
    assert answers(three_segments) == before
    assert {name for name, _ in asked} <= {"term_info"}
    assert {args for _, args in asked} <= inlined


@pytest.mark.parametrize("damage", ["garbage", "short ids", "float ids", "no ids", "short keys", "no offsets"])
def test_arrays_that_are_not_what_was_saved_are_passed_over(two_segments, damage):
    before = answers(two_segments)
    indexer.Indexer(two_segments).save_segment_arrays()
    path = sorted(two_segments.glob(f"*{term_arrays.SUFFIX}"))[0]
    arrays = {name: np.array(array) for name, array in array_file.read(path).items()}
    if damage == "garbage":
        path.write_bytes(b"not an array file")
    else:
        if damage == "short ids":
            arrays["ids"] = arrays["ids"][:-1]
        elif damage == "float ids":
            arrays["ids"] = arrays["ids"].astype(np.float32)
        elif damage == "short keys":
            arrays["keys"] = arrays["keys"][:-1]
        else:
            del arrays["ids" if damage == "no ids" else "offsets"]
        assert segment_files.save_arrays(path, arrays)
    reader, segments = leaves(two_segments)
    assert any(term_arrays.load(leaf) is term_arrays.NONE for leaf in segments)
    reader.close()
    assert answers(two_segments) == before


def test_postings_not_where_the_arrays_say_are_read_through_whooshs_dictionary(three_segments):
    for path in three_segments.glob(f"*{term_arrays.SUFFIX}"):
        path.rename(path.with_suffix(".kept"))
    before = answers(three_segments)
    moved = 0
    for path in three_segments.glob("*.kept"):
        arrays = {name: np.array(array) for name, array in array_file.read(path).items()}
        outside = arrays["offsets"] >= 0
        arrays["offsets"][outside] += 3                     # not the start of a term's postings
        moved += int(outside.sum())
        assert segment_files.save_arrays(path.with_suffix(".arrays"), arrays)
    assert moved >= 2
    assert answers(three_segments) == before


def test_a_small_segment_gets_none_and_a_merged_segments_go_with_it(index_dir, monkeypatch):
    indexer.Indexer(index_dir).write([articles.from_record(EXTRA[0])])      # one document
    monkeypatch.setattr(term_arrays, "FREQUENT_DOCS", 2)
    indexer.Indexer(index_dir).save_segment_arrays()
    before = sorted(p.name for p in index_dir.glob(f"*{term_arrays.SUFFIX}"))
    assert len(before) == 1                                                 # the seeds' segment's alone
    indexer.Indexer(index_dir).optimize()                                   # one segment, saved anew
    after = sorted(p.name for p in index_dir.glob(f"*{term_arrays.SUFFIX}"))
    assert len(after) == 1 and not set(before) & set(after)


def test_saving_removes_the_files_of_the_old_format(two_segments):
    reader, segments = leaves(two_segments)
    old = [segment_files.sidecar_path(segments[0], suffix) for suffix in term_arrays.OLD_SUFFIXES]
    reader.close()
    for path in old:
        np.save(path, np.zeros(3, np.int32))
    assert indexer.Indexer(two_segments).save_segment_arrays() == 2
    assert not any(path.exists() for path in old)
    assert len(list(two_segments.glob(f"*{term_arrays.SUFFIX}"))) == 2


def test_optimize_arrays_saves_an_older_index_arrays_without_merging(runner, two_segments):
    reader, segments = leaves(two_segments)
    count = len(segments)
    reader.close()
    result = runner.invoke(cli, ["optimize", "--arrays", "--index-dir", str(two_segments)])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "arrays saved for 2 segments"
    reader, segments = leaves(two_segments)
    assert len(segments) == count and all(term_arrays.load(leaf) is not term_arrays.NONE for leaf in segments)
    reader.close()
