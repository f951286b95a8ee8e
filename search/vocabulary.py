"""The index's unstemmed words and how many articles hold each: for suggestions and prefixes.

Whoosh keeps these as a second field beside each stemmed one (`spell_title`,
`spell_body`): a posting per word and document, half of all the index's postings and
a third of its writing time. Here each commit writes the words of the articles it
adds to one small file beside the index, `WORDS-<generation>.part.tsv`; every
COMPACT_AFTER files, one `.full.tsv` file holds them all. The words of a version are
the last full file at or before its generation and the parts after it; files of a
later generation (a commit that failed) are ignored and overwritten.

Counts only grow: a deleted article's words stay counted, so a count may be higher
than the articles that hold a word now. A suggestion is still checked against the
index's terms before it is made (search.searcher).
"""
from __future__ import annotations

import os
import re
import threading
from collections import Counter
from pathlib import Path

from whoosh.support.charset import accent_map

from chancery.search import analysis

FILE_RE = re.compile(r"WORDS-(\d+)\.(full|part)\.tsv$")
TOKEN_RE = re.compile(analysis.TOKEN_PATTERN)
COMPACT_AFTER = 32
_PARSED: dict[tuple, Counter] = {}        # (file name, time, size) -> its counts
_LOCK = threading.Lock()


def words(text: str) -> set[str]:
    """Return the distinct words of a text as the index folds them, unstemmed, stop words out."""
    # The analyzer's steps on distinct words only: a tenth of the analyzer's time.
    return {word.translate(accent_map) for word in set(TOKEN_RE.findall(text.lower()))} - analysis.stopwords()


def count(articles) -> Counter:
    """Return how many of these articles hold each word, in title or body."""
    counts: Counter = Counter()
    for article in articles:
        counts.update(words(f"{article.title}\n{article.body}"))
    return counts


def _files(folder: Path) -> list[tuple[int, str, Path]]:
    found = []
    for path in folder.glob("WORDS-*.tsv"):
        match = FILE_RE.match(path.name)
        if match:
            found.append((int(match.group(1)), match.group(2), path))
    return sorted(found)


def _in_view(folder: Path, generation: int) -> list[tuple[int, str, Path]]:
    """Return the files that make up the words of a generation: the last full one and the parts after."""
    files = [f for f in _files(folder) if f[0] <= generation]
    fulls = [i for i, f in enumerate(files) if f[1] == "full"]
    return files[fulls[-1]:] if fulls else files


def _parse(path: Path) -> Counter:
    status = path.stat()
    key = (path.name, status.st_mtime_ns, status.st_size)
    with _LOCK:
        found = _PARSED.get(key)
    if found is None:
        found = Counter()
        with path.open(encoding="utf-8") as lines:
            for line in lines:
                word, _, number = line.rstrip("\n").rpartition("\t")
                if word:
                    found[word] = int(number)
        with _LOCK:
            for old in [k for k in _PARSED if k[0] == path.name]:
                del _PARSED[old]
            _PARSED[key] = found
    return found


def load(folder: str | os.PathLike, generation: int) -> Counter:
    """Return the words of an index version with their article counts."""
    total: Counter = Counter()
    for _, _, path in _in_view(Path(folder), generation):
        try:
            total.update(_parse(path))
        except FileNotFoundError:
            # Pruned since it was listed: a newer full file holds its words, and this
            # (older) version's reader loads the newer version at its next search.
            continue
    return total


def write(folder: str | os.PathLike, generation: int, counts: Counter) -> Path:
    """Write a commit's words before its table of contents names the generation; return the file."""
    folder = Path(folder)
    view = _in_view(folder, generation - 1)
    full = len(view) >= COMPACT_AFTER
    if full:
        counts = load(folder, generation - 1) + counts
    path = folder / f"WORDS-{generation}.{'full' if full else 'part'}.tsv"
    for stale in folder.glob(f"WORDS-{generation}.*.tsv"):   # left by a commit that failed
        stale.unlink()
    temporary = path.with_suffix(".tmp")
    with temporary.open("w", encoding="utf-8") as out:
        out.writelines(f"{word}\t{number}\n" for word, number in counts.items() if "\t" not in word)
        out.flush()
        os.fsync(out.fileno())
    temporary.replace(path)
    return path


def discard(folder: str | os.PathLike, generation: int) -> None:
    """Delete the words file of a commit that failed (call it while holding the index lock)."""
    for path in Path(folder).glob(f"WORDS-{generation}.*"):
        path.unlink(missing_ok=True)


def prune(folder: str | os.PathLike, generation: int) -> None:
    """Delete the files a full file at or before this committed generation has replaced."""
    folder = Path(folder)
    view = _in_view(folder, generation)
    keep = {path for _, _, path in view}
    first = view[0][0] if view else 0
    for number, _, path in _files(folder):
        if number < first and path not in keep:
            path.unlink(missing_ok=True)
            with _LOCK:
                for old in [k for k in _PARSED if k[0] == path.name]:
                    del _PARSED[old]
