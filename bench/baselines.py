"""What a user would otherwise pick: plain Whoosh as most web apps use it, and SQLite FTS5.

    python -m bench.baselines whoosh-index CORPUS DIR    # the indexing baseline, in its own process
"""
from __future__ import annotations

import json
import os
import sqlite3
import sys
from pathlib import Path

from whoosh import index, qparser
from whoosh import query as wq
from whoosh.analysis import StemmingAnalyzer
from whoosh.fields import DATETIME, ID, KEYWORD, TEXT, Schema
from whoosh.highlight import ContextFragmenter, HtmlFormatter
from whoosh.sorting import FieldFacet

FACETS = ("person", "country", "topic", "source")


def plain_schema(with_facets: bool) -> Schema:
    """Return the schema a typical Whoosh app writes: stemmed title and body, keywords."""
    fields = dict(id=ID(stored=True, unique=True), title=TEXT(analyzer=StemmingAnalyzer(), stored=True),
                  body=TEXT(analyzer=StemmingAnalyzer(), stored=True), published=DATETIME(stored=True))
    if with_facets:
        fields.update({facet: KEYWORD(stored=True, commas=True, lowercase=False) for facet in FACETS})
    return Schema(**fields)


def whoosh_index(corpus: Path, folder: Path, with_facets: bool = False) -> int:
    """Index a JSON Lines corpus with one plain Whoosh writer; return the article count."""
    from datetime import datetime
    folder.mkdir(parents=True, exist_ok=True)
    ix = index.create_in(folder, plain_schema(with_facets))
    writer = ix.writer()
    count = 0
    with corpus.open(encoding="utf-8") as lines:
        for line in lines:
            record = json.loads(line)
            doc = {"id": record["id"], "title": record["title"], "body": record["body"]}
            if record.get("published"):
                doc["published"] = datetime.fromisoformat(record["published"])
            if with_facets:
                for facet, key in (("person", "persons"), ("country", "countries"), ("topic", "topics")):
                    doc[facet] = ",".join(record.get(key, []))
                doc["source"] = record.get("source") or ""
            writer.add_document(**doc)
            count += 1
    writer.commit()
    return count


class PlainWhoosh:
    """Search the way most Whoosh web apps do: a new searcher and groupedby per request."""

    def __init__(self, folder: Path):
        self.ix = index.open_dir(folder)
        self.parser = qparser.MultifieldParser(["title", "body"], self.ix.schema, group=qparser.OrGroup)

    def search(self, case: dict, facets: bool, snippets: bool) -> int:
        from datetime import datetime
        with self.ix.searcher() as searcher:
            query = self.parser.parse(case["q"])
            filters = [wq.Term(f, v) for f, values in case["filters"].items() for v in values]
            if case.get("from"):
                filters.append(wq.DateRange("published", datetime.fromisoformat(case["from"]),
                                            datetime.fromisoformat(case["to"])))
            kwargs = {"filter": wq.And(filters)} if filters else {}
            if facets:
                kwargs["groupedby"] = [FieldFacet(f, allow_overlap=True) for f in FACETS]
            results = searcher.search(query, limit=10, **kwargs)
            if facets:
                for facet in FACETS:
                    groups = results.groups(facet)
                    sorted(groups, key=lambda v: -len(groups[v]))[:10]
            if snippets:
                results.fragmenter = ContextFragmenter(maxchars=240, surround=60)
                results.formatter = HtmlFormatter(tagname="mark")
                for hit in results:
                    hit.highlights("body")
            return results.scored_length()


def fts5_build(corpus: Path, db_path: Path) -> int:
    """Load a corpus with entities (a 'chancery export') into SQLite FTS5 with a facet table."""
    if db_path.exists():
        db_path.unlink()
    db = sqlite3.connect(db_path)
    db.executescript("""
        CREATE TABLE articles(rowid INTEGER PRIMARY KEY, id TEXT UNIQUE, title TEXT, body TEXT,
                              source TEXT, published TEXT);
        CREATE VIRTUAL TABLE fts USING fts5(title, body, content='articles', content_rowid='rowid',
                                            tokenize='porter unicode61 remove_diacritics 2');
        CREATE TABLE facets(rowid INTEGER, facet TEXT, value TEXT);
    """)
    count = 0
    with corpus.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            record = json.loads(line)
            db.execute("INSERT INTO articles VALUES (?,?,?,?,?,?)", (number, record["id"], record["title"],
                       record["body"], record.get("source"), record.get("published")))
            values = [("person", v) for v in record.get("persons", [])]
            values += [("country", v) for v in record.get("countries", [])]
            values += [("topic", v) for v in record.get("topics", [])]
            values += [("source", record["source"])] if record.get("source") else []
            db.executemany("INSERT INTO facets VALUES (?,?,?)", [(number, f, v) for f, v in values])
            count += 1
    db.executescript("""
        INSERT INTO fts(rowid, title, body) SELECT rowid, title, body FROM articles;
        CREATE INDEX facets_value ON facets(facet, value, rowid);
        CREATE INDEX facets_rowid ON facets(rowid);
        CREATE INDEX articles_published ON articles(published);
    """)
    db.commit()
    db.close()
    return count


def fts5_match(q: str) -> str:
    """Turn a benchmark query into FTS5 syntax: words OR-ed, phrases kept."""
    if q.startswith('"'):
        return q
    return " OR ".join(f'"{word}"' for word in q.split())


class Fts5:
    """SQLite FTS5: bm25 ranking, facet counts by GROUP BY."""

    def __init__(self, db_path: Path):
        self.db = sqlite3.connect(db_path, check_same_thread=False)

    def search(self, case: dict, facets: bool, snippets: bool) -> int:
        where, args = ["fts MATCH ?"], [fts5_match(case["q"])]
        for facet, values in case["filters"].items():
            for value in values:
                where.append("fts.rowid IN (SELECT rowid FROM facets WHERE facet = ? AND value = ?)")
                args += [facet, value]
        if case.get("from"):
            where.append("fts.rowid IN (SELECT rowid FROM articles WHERE published BETWEEN ? AND ?)")
            args += [case["from"], case["to"]]
        condition = " AND ".join(where)
        snippet = ", snippet(fts, 1, '<mark>', '</mark>', '…', 24)" if snippets else ""
        rows = self.db.execute(f"SELECT fts.rowid{snippet} FROM fts WHERE {condition} "
                               f"ORDER BY bm25(fts, 2.0, 1.0) LIMIT 10", args).fetchall()
        if facets:
            self.db.execute(f"""
                WITH hits AS (SELECT fts.rowid AS rowid FROM fts WHERE {condition}),
                     counted AS (SELECT facet, value, count(*) AS n FROM facets JOIN hits USING (rowid)
                                 GROUP BY facet, value),
                     ranked AS (SELECT facet, value, n, row_number() OVER (PARTITION BY facet ORDER BY n DESC) AS r
                                FROM counted)
                SELECT facet, value, n FROM ranked WHERE r <= 10""", args).fetchall()
        return len(rows)


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "whoosh-index":
        os.environ.setdefault("PYTHONWARNINGS", "ignore")
        print(whoosh_index(Path(sys.argv[2]), Path(sys.argv[3])))
    else:
        sys.exit("usage: python -m bench.baselines whoosh-index CORPUS DIR")
