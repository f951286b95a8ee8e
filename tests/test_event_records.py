"""The evdata column: binary records, and records written as JSON before them still read."""
from __future__ import annotations

import base64
import json

import numpy as np
import pytest

from chancery.search import event_records, indexer
from chancery.search.event_records import Record
from chancery.search.indexer import Indexer
from tests.test_events import STORIES, dup_of, event_of, index

SIGNATURE = (np.arange(event_records.PERMUTATIONS, dtype=np.uint32) * 2654435761).astype(np.uint32)


def json_encode(record: Record) -> bytes:
    """Encode a record as the code before the binary format did."""
    return json.dumps({"i": record.id, "e": record.event, "u": record.dup, "d": record.day,
                       "p": sorted(record.persons), "c": sorted(record.countries), "t": list(record.terms),
                       "s": base64.b64encode(record.signature.tobytes()).decode()}).encode()


RECORDS = [
    Record("summit", "ev-1", "dup-1", 738068, frozenset({"Angela Merkel", "Emmanuel Macron"}),
           frozenset({"France", "Germany"}), ("merkel", "macron", "énergie"), SIGNATURE),
    Record("undated", "ev-2", "dup-2", None, frozenset(), frozenset(), (), SIGNATURE),
    # A client's id may hold the separators.
    Record("odd\x1eid\x1f\x02", "ev-3", "dup-3", 1, frozenset({"Xi Jinping"}), frozenset(), ("xi",), SIGNATURE),
]


@pytest.mark.parametrize("record", RECORDS, ids=["full", "empty", "odd-id"])
@pytest.mark.parametrize("encode", [Record.encode, json_encode], ids=["binary", "json"])
def test_a_record_reads_back_as_written(record, encode):
    back = Record.decode(encode(record))
    assert (back.id, back.event, back.dup, back.day, back.persons, back.countries, back.terms) == \
        (record.id, record.event, record.dup, record.day, record.persons, record.countries, record.terms)
    assert (back.signature == record.signature).all() and back.signature.dtype == np.uint32


def test_the_binary_record_is_smaller():
    assert len(RECORDS[0].encode()) < 0.7 * len(json_encode(RECORDS[0]))


def test_an_index_with_json_records_links_new_articles_to_its_events(tmp_path, monkeypatch):
    with monkeypatch.context() as patch:
        patch.setattr(Record, "encode", json_encode)
        index(tmp_path, ["summit", "floods"])
    indexer._CARRY.clear()        # a new process: the candidates are read back from the index
    Indexer(tmp_path).write([STORIES["summit-copy"], STORIES["summit-later"]])
    found, dups = event_of(tmp_path), dup_of(tmp_path)
    assert found["summit-copy"] == found["summit-later"] == found["summit"] != found["floods"]
    assert dups["summit-copy"] == dups["summit"]
