"""Read the plain data files shipped under search/data."""
from __future__ import annotations

import configparser
from pathlib import Path
from typing import Iterator

DATA_DIR = Path(__file__).with_name("data")


def path(name: str) -> Path:
    """Return the path of a shipped data file."""
    return DATA_DIR / name


def lines(name: str) -> Iterator[str]:
    """Yield the non-blank, non-comment lines of a data file."""
    with path(name).open(encoding="utf-8") as handle:
        for line in handle:
            line = line.rstrip("\n")
            if line.strip() and not line.lstrip().startswith("#"):
                yield line


def words(name: str) -> list[str]:
    """Return the whitespace-separated words of a data file."""
    return [word for line in lines(name) for word in line.split()]


def table(name: str) -> Iterator[dict[str, str]]:
    """Yield the rows of a tab-separated data file whose first line names the columns."""
    rows = lines(name)
    header = next(rows).split("\t")
    for number, line in enumerate(rows, start=2):
        cells = line.split("\t")
        if len(cells) > len(header):
            raise ValueError(f"{name}: row {number} has {len(cells)} cells, expected {len(header)}")
        yield dict(zip(header, cells + [""] * (len(header) - len(cells))))


def split_list(cell: str) -> list[str]:
    """Split a "|"-separated cell into its non-empty items."""
    return [item.strip() for item in cell.split("|") if item.strip()]


def ini(name: str) -> configparser.ConfigParser:
    """Parse an INI data file."""
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(path(name), encoding="utf-8")
    return parser
