"""What the linker keeps of an article (search.events): the record, its evdata bytes and evkey terms."""
from __future__ import annotations

import base64
import json
import struct
import zlib
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

PERMUTATIONS = 64               # MinHash permutations: the signature's length
BANDS = 16                      # 16 bands of 4 rows: pairs above ~0.5 Jaccard share a band
WINDOW_DAYS = 3
NO_DAY = "-"
DECODED_RECORDS = 20_000        # stored records kept decoded per process (~1 KB each)
# evdata: a version byte, the day (NO_DAY_CODE when undated), the signature, then the
# strings joined by RECORD_SEP / VALUE_SEP; a value written before it is JSON ("{...").
RECORD_V2 = b"\x02"
NO_DAY_CODE = -1
RECORD_SEP, VALUE_SEP = "\x1e", "\x1f"
_HEAD = struct.Struct("<i")


@dataclass
class Record:
    id: str
    event: str
    dup: str
    day: int | None
    persons: frozenset
    countries: frozenset
    terms: tuple
    signature: np.ndarray

    def encode(self) -> bytes:
        """Return the evdata value: binary, smaller and quicker to read than the JSON it replaced."""
        # The id comes last: it is the one string a client chooses, so it may hold a separator.
        text = RECORD_SEP.join([self.event, self.dup, VALUE_SEP.join(sorted(self.persons)),
                                VALUE_SEP.join(sorted(self.countries)), VALUE_SEP.join(self.terms), self.id])
        day = NO_DAY_CODE if self.day is None else self.day
        return RECORD_V2 + _HEAD.pack(day) + self.signature.astype("<u4").tobytes() + text.encode("utf-8")

    @classmethod
    def decode(cls, raw: bytes) -> "Record":
        """Read an evdata value, binary or (written before the binary format) JSON."""
        if raw[:1] != RECORD_V2:
            return cls._decode_json(raw)
        (day,) = _HEAD.unpack_from(raw, 1)
        start = 1 + _HEAD.size
        signature = np.frombuffer(raw, "<u4", PERMUTATIONS, start)
        text = raw[start + 4 * PERMUTATIONS:].decode("utf-8")
        event, dup, persons, countries, terms, doc_id = text.split(RECORD_SEP, 5)
        split = lambda value: value.split(VALUE_SEP) if value else []  # noqa: E731
        return cls(doc_id, event, dup, None if day == NO_DAY_CODE else day, frozenset(split(persons)),
                   frozenset(split(countries)), tuple(split(terms)), signature)

    @classmethod
    def _decode_json(cls, raw: bytes) -> "Record":
        value = json.loads(raw)
        return cls(value["i"], value["e"], value["u"], value["d"], frozenset(value["p"]), frozenset(value["c"]),
                   tuple(value["t"]), np.frombuffer(base64.b64decode(value["s"]), np.uint32))

    def band_hashes(self) -> list[int]:
        """Return the crc32 of each band of the signature."""
        return band_hashes(self.signature)

    def keys(self) -> list[str]:
        """Return the evkey terms under which this record is found."""
        day = NO_DAY if self.day is None else str(self.day)
        return [f"{name}@{day}" for name in sorted(self.persons | self.countries)]

    def probe_keys(self) -> list[str]:
        """Return the evkey terms of the records this one may join."""
        days = [NO_DAY] if self.day is None else [str(self.day + d) for d in range(-WINDOW_DAYS, WINDOW_DAYS + 1)]
        if self.day is not None:
            days.append(NO_DAY)
        return [f"{name}@{day}" for name in sorted(self.persons | self.countries) for day in days]


def band_hashes(signature: np.ndarray) -> list[int]:
    """Return the crc32 of each of a MinHash signature's BANDS bands."""
    rows = PERMUTATIONS // BANDS
    data = signature.astype("<u4").tobytes()
    return [zlib.crc32(data[4 * rows * band:4 * rows * (band + 1)]) for band in range(BANDS)]


def band_keys(hashes: list[int]) -> list[int]:
    """Return the band look-up keys: the band's number above its crc32."""
    return [band << 32 | value for band, value in enumerate(hashes)]


_DECODED: OrderedDict = OrderedDict()     # raw evdata -> Record, the most recently used kept


def decoded(raw: bytes) -> Record:
    """Return the Record of a stored evdata value, decoding each value once while it is used."""
    found = _DECODED.get(raw)
    if found is None:
        found = _DECODED[raw] = Record.decode(raw)
        if len(_DECODED) > DECODED_RECORDS:
            _DECODED.popitem(last=False)
    else:
        _DECODED.move_to_end(raw)
    return found
