"""Read articles from text, JSON and JSON Lines, and clean page text into an Article.

A raw page carries chrome around the story: section labels, view counters, share
buttons, repeated title lines, widget text in another script. Cleaning keeps the
title, the body and what the chrome tells us (the source, a dateline's date).
"""
from __future__ import annotations

import hashlib
import json
import logging
import re
import unicodedata
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Iterator

from chancery.search import data, entities

LOG = logging.getLogger("chancery")

SIDECAR = "_metadata.json"
JSON_SUFFIXES = {".json"}
JSONL_SUFFIXES = {".jsonl", ".ndjson"}
MONTHS = "January|February|March|April|May|June|July|August|September|October|November|December"
DATELINE_RE = re.compile(
    rf"^(?P<source>[A-Z][\w.&' -]{{1,40}}?),\s+"
    rf"(?P<date>(?:{MONTHS})\.? \d{{1,2}}, \d{{4}}|\d{{1,2}} (?:{MONTHS}) \d{{4}})\b(?P<rest>.*)$")
TITLE_SUFFIX_RE = re.compile(r"^(?P<title>.+?)\s+/\s+(?:[^/]+\s+/\s+)*(?:News agency\s+)?(?P<source>[^/]+?)\s*$")
DOMAIN_RE = re.compile(r"^(?:www\.)?(?P<name>[A-Za-z0-9-]+)\.(?:com|net|org|ru|cn|co\.uk|info|news|ir|ua|de|fr)$")
TRAILING_MARK_RE = re.compile(r"\s+Endi(?:t(?:em)?)?\s*$")
ARTICLE_FIELDS = ("id", "title", "body", "source", "url", "published")
BODY_ALIASES = ("text", "content")
SURROGATE_RE = re.compile("[\ud800-\udfff]")
MAX_TITLE_WORDS = 40


class ArticleError(ValueError):
    """An input that cannot become an article; the message says why, field names the culprit."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


@dataclass
class Article:
    id: str
    title: str
    body: str
    source: str | None = None
    url: str | None = None
    published: str | None = None
    persons: list[str] = field(default_factory=list)
    countries: list[str] = field(default_factory=list)
    topics: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        """Return the article as the JSON shape of the API."""
        return asdict(self)


def _chrome_patterns() -> list[re.Pattern]:
    return [re.compile(line.strip(), re.IGNORECASE) for line in data.lines("chrome.txt")]


CHROME = _chrome_patterns()


def is_chrome(line: str) -> bool:
    """Tell whether a whole line is page furniture rather than story text."""
    stripped = line.strip()
    return any(pattern.fullmatch(stripped) for pattern in CHROME)


LETTER_RE = re.compile(r"[^\W\d_]+")
# The letters of a script, by Unicode block: a regex counts them in C, where looking up
# each letter's Unicode name took an eighth of all indexing time; matched in runs, as one
# match a letter cost twice as much.
SCRIPT_RES = {
    "LATIN": re.compile("[A-Za-z\u00aa\u00ba\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f\u0250-\u02af"
                        "\u1d00-\u1d7f\u1e00-\u1eff\u2c60-\u2c7f\ua720-\ua7ff\uab30-\uab6f"
                        "\ufb00-\ufb06\uff21-\uff3a\uff41-\uff5a]+"),
    "CYRILLIC": re.compile("[\u0400-\u052f\u1c80-\u1c8f\u2de0-\u2dff\ua640-\ua69f]+"),
}


def _script_share(text: str, script: str) -> float:
    """Return the share of a text's letters that belong to a script (LATIN or CYRILLIC)."""
    if text.isascii():
        return (1.0 if script == "LATIN" else 0.0) if any(ch.isalpha() for ch in text) else 0.0
    letters = sum(map(len, LETTER_RE.findall(text)))
    return sum(map(len, SCRIPT_RES[script].findall(text))) / letters if letters else 0.0


def normalize_date(value) -> str | None:
    """Return an ISO date (YYYY-MM-DD) for a date, datetime or date string."""
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    text = str(value).strip()
    for parser in (lambda t: date.fromisoformat(t[:10]), _parse_dateline_date):
        try:
            return parser(text).isoformat()
        except ValueError:
            continue
    raise ArticleError(f"published is not a date: {text!r}", field="published")


def _parse_dateline_date(text: str) -> date:
    text = text.replace(".", "")
    for fmt in ("%B %d, %Y", "%d %B %Y"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(text)


def canonical_source(name: str | None) -> str | None:
    """Return the canonical publisher name for a spelling, domain or byline."""
    if not name or not name.strip():
        return None
    name = name.strip()
    domain = DOMAIN_RE.match(name)
    return entities.known_source(name) or (domain.group("name").capitalize() if domain else name)


def _source_line(line: str) -> str | None:
    """Return the source a closing line names ("Vestnik Kavkaza", "Financialtribune.com")."""
    stripped = line.strip()
    if len(stripped.split()) > 4:
        return None
    if entities.known_source(stripped) or DOMAIN_RE.match(stripped):
        return canonical_source(stripped)
    return None


def _content_lines(text: str) -> list[str]:
    """Return the lines of a text with chrome lines blanked (blank lines split paragraphs)."""
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    main_script = "LATIN" if _script_share(text, "LATIN") >= 0.5 else None

    def keep(line: str) -> bool:
        if not line or is_chrome(line):
            return False
        # Widget text in another script on an English page ("Поделиться").
        return not (main_script and _script_share(line, "CYRILLIC") > 0.5)

    return [line if keep(line) else "" for line in (raw.strip() for raw in text.split("\n"))]


def _join_body(lines: list[str], found: dict) -> str:
    _take_closing_source(lines, found)
    paragraphs = [p for p in "\n".join(lines).split("\n\n") if p.strip()]
    body = "\n\n".join(" ".join(p.split("\n")).strip() for p in paragraphs)
    # The pattern tries every space of a body: look for its word first.
    return TRAILING_MARK_RE.sub("", body) if "Endi" in body else body


def clean_text(raw: str) -> dict:
    """Split raw page text into title, body, source and dateline date."""
    lines = _content_lines(raw)
    found: dict = {"source": None, "published": None}
    _take_dateline(lines, found)
    title = _take_title(lines, found)
    body = _join_body(_drop_title_repeats(lines, title), found)
    return {"title": title, "body": body, **found}


def clean_body(title: str, body: str) -> dict:
    """Clean the body of an article whose title is given: chrome, title repeats, source."""
    found: dict = {"source": None, "published": None}
    lines = ["" if line == title else line for line in _content_lines(body)]
    return {"title": title, "body": _join_body(lines, found), **found}


def _take_title(lines: list[str], found: dict) -> str:
    candidates = [(i, line) for i, line in enumerate(lines) if line]
    if not candidates:
        raise ArticleError("no text left after removing page chrome")
    for i, line in candidates:
        suffix = TITLE_SUFFIX_RE.match(line)
        if suffix and (entities.known_source(suffix.group("source")) or "/ News agency" in line):
            lines[i] = suffix.group("title")
            found["source"] = canonical_source(suffix.group("source"))
    counts = Counter(lines[i] for i, _ in candidates)
    repeated = [lines[i] for i, _ in candidates if counts[lines[i]] > 1 and len(lines[i].split()) >= 3]
    if repeated:
        return repeated[0]
    # Otherwise the first line long enough to be a headline; shorter ones before it
    # are section labels.
    for i, _ in candidates:
        if len(lines[i].split()) >= 3:
            return lines[i]
    raise ArticleError("no title: the text has no line of three words or more")


def _drop_title_repeats(lines: list[str], title: str) -> list[str]:
    first = next(i for i, line in enumerate(lines) if line == title)
    body = lines[first + 1:]
    return ["" if line == title else line for line in body]


def _take_dateline(lines: list[str], found: dict) -> None:
    """Take source and date from a dateline among the first lines ("Xinhua, March 25, 2016")."""
    for i in [i for i, line in enumerate(lines) if line][:3]:
        match = DATELINE_RE.match(lines[i])
        if match and len(match.group("rest").split()) <= 4:
            found["source"] = canonical_source(match.group("source"))
            found["published"] = _parse_dateline_date(match.group("date")).isoformat()
            lines[i] = ""
            return


def _take_closing_source(lines: list[str], found: dict) -> None:
    for i in range(len(lines) - 1, -1, -1):
        if not lines[i]:
            continue
        source = _source_line(lines[i])
        if source:
            found["source"] = found["source"] or source
            lines[i] = ""
        return


def stable_id(*parts: str) -> str:
    """Derive an id from content, the same every time the same content is read."""
    text = " ".join(" ".join(part.split()) for part in parts if part)
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:16]


def from_text(raw: str, meta: dict | None = None) -> Article:
    """Make an article from raw page text, with optional sidecar metadata."""
    meta = dict(meta or {})
    if not raw.strip():
        raise ArticleError("empty text")
    cleaned = clean_text(raw)
    if not cleaned["body"]:
        raise ArticleError("no body text after the title")
    record = {**cleaned, **{k: v for k, v in meta.items() if v not in (None, "")}}
    record.setdefault("id", None)
    return build(record, fallback_id=stable_id(raw))


def loads(text: str):
    """Parse JSON, reporting a document nested too deeply as invalid JSON."""
    try:
        return json.loads(text)
    except RecursionError:
        raise json.JSONDecodeError("nested too deeply", text, 0) from None


def json_type(value) -> str:
    """Name a value's JSON type, for messages."""
    names = {bool: "a boolean", int: "a number", float: "a number", list: "a list", dict: "an object"}
    return names.get(type(value), type(value).__name__)


def scrub(text: str) -> str:
    """Replace lone surrogates (from cut scraped text) with U+FFFD: they cannot be encoded."""
    return text if text.isascii() else SURROGATE_RE.sub("\ufffd", text)      # isascii reads a flag


def checked_fields(record: dict) -> dict:
    """Return the record's known fields as clean strings, or say which has the wrong type."""
    fields = {}
    for name in ARTICLE_FIELDS + BODY_ALIASES:
        value = record.get(name)
        if value is None:
            continue
        if name == "id" and isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str):
            raise ArticleError(f"{name} must be a string, not {json_type(value)}", field=name)
        fields[name] = scrub(value)
    return fields


def from_record(record: dict) -> Article:
    """Make an article from a JSON object (id, title, body or text, source, url, published)."""
    if not isinstance(record, dict):
        raise ArticleError(f"expected a JSON object, got {json_type(record)}")
    record = checked_fields(record)
    body = record.get("body", record.get("text", record.get("content")))
    if not body or not body.strip():
        raise ArticleError("missing body: give 'body' (or 'text') as a non-empty string", field="body")
    title = record.get("title")
    if not title:
        article = from_text(body, {k: record.get(k) for k in ARTICLE_FIELDS if k not in ("title", "body")})
        return article
    title = " ".join(title.split())
    cleaned = clean_body(title, body)
    merged = {**cleaned, **{k: record.get(k) for k in ARTICLE_FIELDS if record.get(k) not in (None, "")}}
    merged["title"] = title
    merged["body"] = cleaned["body"] or body.strip()
    return build(merged, fallback_id=stable_id(record.get("url") or "", title, body))


def build(record: dict, fallback_id: str) -> Article:
    """Validate fields, find entities and return the article."""
    record = {**record, **checked_fields(record)}
    title, body = record["title"], record["body"]
    if len(title.split()) > MAX_TITLE_WORDS:
        title = " ".join(title.split()[:MAX_TITLE_WORDS]) + "…"
    published = normalize_date(record.get("published"))
    # The date decides which namesake a bare surname means (Stoltenberg in 1987 or 2015).
    found = entities.extract(title, body, int(published[:4]) if published else None)
    return Article(
        id=str(record.get("id") or fallback_id),
        title=title,
        body=body,
        source=canonical_source(record.get("source")),
        url=record.get("url") or None,
        published=published,
        persons=found.persons,
        countries=found.countries,
        topics=found.topics,
    )


@dataclass
class Failure:
    """An input that could not be read, named with the reason."""
    where: str
    reason: str


def unexpected(where: str, error: Exception) -> Failure:
    """Report a fault that no validation foresaw, logged with its traceback."""
    LOG.exception("cannot read %s", where)
    return Failure(where, f"cannot be indexed ({type(error).__name__}: {error})")


def read_bytes(raw: bytes) -> str:
    """Decode UTF-8 (with or without a BOM), else Latin-1; refuse binary data."""
    if b"\0" in raw[:8192]:
        raise ArticleError("binary file (contains NUL bytes)")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def read_path(path: Path, meta: dict | None = None) -> Iterator[Article | Failure]:
    """Yield the articles of one file, or a Failure for each part that cannot be read."""
    suffix = path.suffix.lower()
    try:
        text = read_bytes(path.read_bytes())
    except (OSError, ArticleError) as error:
        yield Failure(str(path), str(error))
        return
    if suffix in JSONL_SUFFIXES:
        yield from read_json_lines(text, str(path))
        return
    try:
        if suffix in JSON_SUFFIXES:
            yield from _json_document(text, str(path))
        else:
            yield from_text(text, meta)
    except ArticleError as error:
        yield Failure(str(path), str(error))
    except Exception as error:  # one file's unforeseen fault must not cost the batch
        yield unexpected(str(path), error)


def _json_document(text: str, where: str) -> Iterator[Article | Failure]:
    try:
        document = loads(text)
    except json.JSONDecodeError as error:
        raise ArticleError(f"invalid JSON: {error}") from None
    records = document if isinstance(document, list) else [document]
    for number, record in enumerate(records, start=1):
        name = f"{where}[{number}]" if isinstance(document, list) else where
        try:
            yield from_record(record)
        except ArticleError as error:
            yield Failure(name, str(error))
        except Exception as error:  # one record's unforeseen fault must not cost the batch
            yield unexpected(name, error)


def read_json_lines(text: str, where: str, first_line: int = 1,
                    skip_ids: frozenset = frozenset()) -> Iterator[Article | Failure]:
    """Yield the articles of JSON Lines text; a broken line is a Failure, not the end.

    A record whose id is in skip_ids is passed over before it is cleaned or extracted.
    """
    for number, line in enumerate(text.splitlines(), start=first_line):
        if not line.strip():
            continue
        try:
            record = loads(line)
            if skip_ids and isinstance(record, dict) and record.get("id") in skip_ids:
                continue
            yield from_record(record)
        except json.JSONDecodeError as error:
            yield Failure(f"{where}:{number}", f"invalid JSON: {error}")
        except ArticleError as error:
            yield Failure(f"{where}:{number}", str(error))
        except Exception as error:  # one record's unforeseen fault must not cost the batch
            yield unexpected(f"{where}:{number}", error)


def _sidecar(folder: Path) -> dict:
    path = folder / SIDECAR
    if not path.is_file():
        return {}
    try:
        meta = json.loads(read_bytes(path.read_bytes()))
    except (OSError, ArticleError, json.JSONDecodeError) as error:
        raise ArticleError(f"unreadable metadata: {error}") from None
    if not isinstance(meta, dict):
        raise ArticleError("metadata must map file names to objects")
    return meta


def input_files(paths: list[Path]) -> Iterator[tuple[Path, dict] | Failure]:
    """Yield every article file under files and folders with its sidecar metadata."""
    sidecars: dict[Path, dict] = {}
    for path in paths:
        files = [path]
        if path.is_dir():
            files = sorted(p for p in path.rglob("*") if p.is_file() and p.name != SIDECAR
                           and not any(part.startswith(".") for part in p.relative_to(path).parts))
        for file in files:
            if file.parent not in sidecars:
                try:
                    sidecars[file.parent] = _sidecar(file.parent)
                except ArticleError as error:
                    sidecars[file.parent] = {}
                    yield Failure(str(file.parent / SIDECAR), str(error))
            yield file, sidecars[file.parent].get(file.name, {})
