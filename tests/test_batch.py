"""Reading many inputs in units: a JSON Lines file cut as it is read, each unit decoded alone."""
from __future__ import annotations

import json

from chancery.search import batch


def test_a_json_lines_file_is_read_in_units_as_they_are_needed(tmp_path):
    path = tmp_path / "many.jsonl"
    lines = [json.dumps({"id": f"a{n}", "title": "T", "body": "Ünïcode body"}, ensure_ascii=False)
             for n in range(450)]
    path.write_bytes(b"\xef\xbb\xbf" + "\n".join(lines).encode("utf-8") + b"\n")
    handed = batch.units([path])
    first = next(handed)
    assert first[:3] == ("lines", str(path), 1) and first[3].splitlines() == lines[:200]
    rest = list(handed)
    assert [unit[2] for unit in rest] == [201, 401]
    assert rest[-1][3].splitlines() == lines[400:]


def test_a_unit_that_is_not_utf8_is_read_as_latin1(tmp_path):
    path = tmp_path / "old.jsonl"
    path.write_bytes(json.dumps({"id": "x", "title": "caf\u00e9", "body": "b"}, ensure_ascii=False).encode("latin-1"))
    (unit,) = batch.units([path])
    assert json.loads(unit[3])["title"] == "café"


def niceness(unit) -> list[int]:
    """Stand in for reading a unit: return the worker's niceness."""
    import os
    return [os.nice(0)]


def test_reading_workers_run_at_a_lower_priority_than_the_writer(tmp_path, monkeypatch):
    import os
    path = tmp_path / "in.jsonl"
    path.write_text("".join(json.dumps({"id": f"a{n}", "title": "T", "body": "B."}) + "\n" for n in range(500)))
    monkeypatch.setattr(batch, "process_plain", niceness)
    found = set(batch.read([path], processes=2, with_events=False))
    assert found == {min(19, os.nice(0) + batch.READER_NICENESS)}
    assert os.nice(0) < min(found)                  # the calling process keeps its priority
