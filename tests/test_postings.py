"""Postings read into arrays: the same rows Whoosh's own per-posting matcher gives."""
import numpy as np
import pytest
from whoosh import fields, index

from chancery.search import postings

FILLER = "filler"


def whoosh_rows(reader, fieldname, text):
    """Return (doc, position) rows the way Whoosh reads them, one posting at a time."""
    matcher = reader.postings(fieldname, text)
    decode = reader.schema[fieldname].format.decode_positions
    rows = []
    while matcher.is_active():
        rows.extend((matcher.id(), p) for p in decode(matcher.value()))
        matcher.next()
    return rows


def build(tmp_path, texts):
    ix = index.create_in(str(tmp_path), fields.Schema(body=fields.TEXT(phrase=True)))
    with ix.writer() as writer:
        for text in texts:
            writer.add_document(body=text)
    return ix


def spaced(word, at):
    """Return a text holding a word at the given positions, filler elsewhere."""
    words = [FILLER] * (max(at) + 1)
    for position in at:
        words[position] = word
    return " ".join(words)


CASES = {
    # name: texts of the documents
    "one document, inline posting": ["alpha beta alpha"],
    "gaps past one and two varint bytes": [spaced("alpha", [0, 127, 128, 16_383, 16_384, 20_000])],
    "several blocks": [f"alpha {FILLER} " * (i % 5 + 1) for i in range(300)],
    "documents without the term between": [("alpha" if i % 7 == 0 else FILLER) for i in range(400)],
}


@pytest.mark.parametrize("texts", CASES.values(), ids=CASES.keys())
def test_positions_match_whoosh(tmp_path, texts):
    ix = build(tmp_path, texts)
    with ix.reader() as reader:
        docs, positions = postings.read_positions(reader, "body", "alpha")
        assert list(zip(docs.tolist(), positions.tolist())) == whoosh_rows(reader, "body", "alpha")
        assert len(docs) == sum(text.split().count("alpha") for text in texts)


WANTED = {
    # name: documents asked for
    "none": [],
    "the first": [0],
    "the last": [998],
    "one in a middle block": [504],
    "a run across blocks": list(range(240, 270)),
    "every other: all that hold it": list(range(0, 1000, 2)),
    "only documents without it": [1, 3, 5, 261],
    "past the end": [996, 1500, 9000],
}


@pytest.mark.parametrize("wanted", WANTED.values(), ids=WANTED.keys())
def test_positions_of_wanted_documents_are_those_of_a_full_read(tmp_path, wanted):
    texts = [(f"alpha {FILLER} alpha" if i % 2 == 0 else FILLER) for i in range(1000)]
    ix = build(tmp_path, texts)
    with ix.reader() as reader:
        assert len(list(postings._blocks(reader.postings("body", "alpha")))) >= 3
        docs, positions = postings.read_positions(reader, "body", "alpha", np.asarray(wanted, np.int64))
        expected = [row for row in whoosh_rows(reader, "body", "alpha") if row[0] in set(wanted)]
        assert list(zip(docs.tolist(), positions.tolist())) == expected


def test_every_term_of_the_seed_index_matches_whoosh(seed_index):
    ix = index.open_dir(str(seed_index))
    with ix.reader() as reader:
        terms = [t for t in reader.field_terms("body")]
        assert len(terms) > 500
        for term in terms:
            docs, positions = postings.read_positions(reader, "body", term)
            assert list(zip(docs.tolist(), positions.tolist())) == whoosh_rows(reader, "body", term), term


def test_missing_term_reads_empty(tmp_path):
    ix = build(tmp_path, ["alpha"])
    with ix.reader() as reader:
        docs, positions = postings.read_positions(reader, "body", "absent")
    assert docs.size == 0 and positions.size == 0


@pytest.mark.parametrize("value, expected", [
    (b"\x00\x00\x00\x02\x05\x81\x01", [5, 5 + 129]),
    (b"\x00\x00\x00\x00", []),
    (b"\x00\x00\x00\x01\x2e", [46]),           # ends in b".": still varints (search.whoosh_fixes)
])
def test_decode_table(value, expected):
    docs, positions = postings.decode_positions([3], [value])
    assert positions.tolist() == expected and docs.tolist() == [3] * len(expected)


@pytest.mark.parametrize("value", [
    b"\x00\x00\x00\x03\x05",          # fewer varints than its count
    b"\x00\x00\x00\x01\x05\x06",      # trailing bytes
    b"\x00\x00\x00\x01\x85",          # a varint cut off
    b"\x00\x00",                      # no whole count
])
def test_a_value_that_is_not_exactly_its_varints_is_an_error(value):
    with pytest.raises(ValueError):
        postings.decode_positions([0, 1], [b"\x00\x00\x00\x01\x05", value])


def test_blocks_ending_in_a_dot_are_decoded_at_once(tmp_path, monkeypatch):
    ix = build(tmp_path, [spaced("alpha", [i, i + 46]) for i in range(30)])      # every value ends in 0x2E
    with ix.reader() as reader:
        expected = whoosh_rows(reader, "body", "alpha")
        monkeypatch.setattr(postings, "_decode_each", None)     # the one-by-one path would fail
        docs, positions = postings.read_positions(reader, "body", "alpha")
    assert list(zip(docs.tolist(), positions.tolist())) == expected
    assert expected[:2] == [(0, 0), (0, 46)] and len(expected) == 60


def test_postings_weights_match_whoosh(tmp_path):
    ix = build(tmp_path, CASES["several blocks"])
    with ix.reader() as reader:
        ids, weights = postings.read_postings(reader, "body", "alpha")
        matcher = reader.postings("body", "alpha")
        expected = []
        while matcher.is_active():
            expected.append((matcher.id(), matcher.weight()))
            matcher.next()
    assert list(zip(ids.tolist(), weights.tolist())) == expected
    assert np.all(np.diff(ids) > 0)
    assert ids.dtype == np.int32 and weights.dtype == np.float32      # 8 bytes a cached posting


def test_a_segment_with_deletions_is_read_by_blocks_deleted_documents_included(tmp_path, monkeypatch):
    ix = build(tmp_path, CASES["several blocks"])
    with ix.writer() as writer:
        writer.delete_document(5)
        writer.delete_document(200)
    with ix.reader() as reader:
        assert reader.has_deletions()
        raw = reader.postings("body", "alpha").child            # Whoosh's matcher, deletions not hidden
        expected = []
        while raw.is_active():
            expected.append((raw.id(), raw.weight()))
            raw.next()
        monkeypatch.setattr(postings, "_read_one_by_one", None)   # a posting at a time would fail
        ids, weights = postings.read_postings(reader, "body", "alpha")
        docs, _ = postings.read_positions(reader, "body", "alpha")
    assert list(zip(ids.tolist(), weights.tolist())) == expected
    assert {5, 200} <= set(ids.tolist()) and {5, 200} <= set(docs.tolist())


SORTED = {
    # name: (a, b, a in b, a and b)
    "both empty": ([], [], [], []),
    "nothing shared": ([1, 3], [2, 4], [False, False], []),
    "shared inside": ([1, 5, 9], [2, 5, 9, 11], [False, True, True], [5, 9]),
    "past either end": ([0, 20], [5, 10], [False, False], []),
    "one side empty": ([4, 7], [], [False, False], []),
    "negative and large keys": ([-1, 1 << 40], [-1, 3, 1 << 40], [True, True], [-1, 1 << 40]),
}


@pytest.mark.parametrize("a, b, in_b, both", SORTED.values(), ids=SORTED.keys())
def test_sorted_membership_and_intersection_table(a, b, in_b, both):
    a, b = np.asarray(a, np.int64), np.asarray(b, np.int64)
    assert postings.in_sorted(a, b).tolist() == in_b
    assert postings.intersect_sorted(a, b).tolist() == both == postings.intersect_sorted(b, a).tolist()
    assert both == np.intersect1d(a, b).tolist()


@pytest.mark.parametrize("values, expected", [
    ([], []), ([3], [3]), ([1, 1, 2, 5, 5, 5], [1, 2, 5]), ([-2, -2, 0], [-2, 0]),
])
def test_distinct_sorted_table(values, expected):
    assert postings.distinct_sorted(np.asarray(values, np.int64)).tolist() == expected
