"""Named arrays in one file, mapped when read."""
from __future__ import annotations

import io
import json

import numpy as np
import pytest

from chancery.search import array_file

ARRAYS = {
    "int32": np.arange(5, dtype=np.int32),
    "float64": np.array([0.5, -1.0, 3.25]),
    "uint64": np.array([2**64 - 1, 0], np.uint64),
    "bytes": np.array([b"kerry\xff", b"a\xff"]),
    "text": np.array(["Сергей Лавров", "John Kerry"]),
    "bool": np.array([True, False, True]),
    "table": np.arange(12, dtype=np.uint64).reshape(6, 2),
    "empty": np.zeros(0, np.int32),
    "empty text": np.zeros(0, "U1"),
    "odd size": np.arange(3, dtype=np.int8),         # the next array still starts aligned
    "after odd": np.arange(3, dtype=np.float64),
}


def saved(tmp_path, arrays) -> object:
    path = tmp_path / "x.arrays"
    with path.open("wb") as out:
        array_file.write(out, arrays)
    return path


def test_arrays_come_back_alike_and_read_only(tmp_path):
    found = array_file.read(saved(tmp_path, ARRAYS))
    assert list(found) == list(ARRAYS)
    for name, array in ARRAYS.items():
        assert found[name].dtype == array.dtype and found[name].shape == array.shape, name
        assert found[name].tolist() == array.tolist(), name
        assert not found[name].flags.writeable or not len(array), name


def test_an_object_array_is_refused_when_written():
    with pytest.raises(ValueError, match="cannot be saved"):
        array_file.write(io.BytesIO(), {"objects": np.array([{"a": 1}], dtype=object)})


def damaged(path, how):
    raw = path.read_bytes()
    length = int.from_bytes(raw[len(array_file.MAGIC):len(array_file.MAGIC) + 8], "little")
    start = len(array_file.MAGIC) + 8
    header = json.loads(raw[start:start + length])
    if how == "not one":
        return b"PK\x03\x04 a zip file"
    if how == "cut":
        return raw[:len(raw) // 2]
    if how == "empty":
        return b""
    if how == "object dtype":
        header["int32"]["dtype"] = "|O"
    if how == "negative offset":
        header["int32"]["offset"] = -64
    head = json.dumps(header).encode().ljust(length)
    return raw[:start] + head + raw[start + length:]


@pytest.mark.parametrize("how", ["not one", "cut", "empty", "object dtype", "negative offset"])
def test_a_damaged_file_is_refused(tmp_path, how):
    path = saved(tmp_path, ARRAYS)
    path.write_bytes(damaged(path, how))
    with pytest.raises(ValueError):
        array_file.read(path)
