"""Ranking quality on the classic IR collections: Chancery against plain BM25, in one process.

    python -m bench.relevance [--collections adi med ...] [--indexes DIR]

Each collection of ../shared/dev/ir is indexed into a temporary folder (or DIR/ir-<name>,
kept for reruns) with the indexer the CLI uses; its judged queries, as written, run
through the search service the API calls; a plain BM25 (bm25s, with the same tokenizer,
Snowball stemmer and stop words, over title and body) ranks the same text. Metrics are
evaluate.py's own (MAP@100, nDCG@10, P@10, R@100). A query the service refuses counts as
refused and scores 0.
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import tempfile
from pathlib import Path

from bench import common

IR = common.ROOT.parent / "shared" / "dev" / "ir"
DEPTH = 100
METRICS = ("MAP", "nDCG@10", "P@10", "R@100")


def evaluator():
    """Load the dev set's own scorer (standard library only), so the metrics are the same."""
    spec = importlib.util.spec_from_file_location("ir_evaluate", IR / "evaluate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def collections() -> list[str]:
    return sorted(p.parent.name for p in IR.glob("*/qrels.tsv"))


def records(name: str) -> list[dict]:
    with (IR / name / "docs.jsonl").open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


def build_index(name: str, folder: Path) -> Path:
    """Index a collection with the product's own indexer (reusing an index that exists)."""
    from chancery.search import articles, indexer
    if not list(folder.glob("*.toc")):
        indexer.Indexer(folder).write([articles.from_record(r) for r in records(name)])
    return folder


def chancery_runs(index_dir: Path, queries: list[tuple[str, str]], params=None) -> tuple[dict, int]:
    """Return each query's ranking from the search service and the count of refused queries."""
    from chancery.search.query import QueryError
    from chancery.search.searcher import SearchRequest, Service
    service = Service(index_dir) if params is None else Service(index_dir, params=params)
    runs, refused = {}, 0
    for qid, text in queries:
        try:
            found = service.search(SearchRequest(q=text, per_page=DEPTH, with_facets=False, with_snippets=False))
            runs[qid] = [r["id"] for r in found["results"]]
        except QueryError:
            refused += 1
            runs[qid] = []
    return runs, refused


def bm25_runs(name: str, queries: list[tuple[str, str]]) -> dict:
    """Return each query's ranking from plain BM25 (bm25s) over title and body."""
    import bm25s
    from chancery.search import analysis
    docs = records(name)
    corpus = [analysis.terms(f"{d['title']} {d['body']}") for d in docs]
    retriever = bm25s.BM25()
    retriever.index(corpus, show_progress=False)
    runs = {}
    for qid, text in queries:
        terms = [t for t in analysis.terms(text) if t in retriever.vocab_dict]
        if not terms:
            runs[qid] = []
            continue
        found, scores = retriever.retrieve([terms], k=min(DEPTH, len(docs)), show_progress=False,
                                           n_threads=1)
        runs[qid] = [str(docs[i]["id"]) for i, s in zip(found[0], scores[0]) if s > 0]
    return runs


def score(ev, runs: dict, qrels: dict, judged: list[str]) -> dict:
    per_query = [ev.score_query(runs.get(q, []), qrels[q], DEPTH) for q in judged]
    names = {"MAP": "AP", "nDCG@10": "nDCG@10", "P@10": "P@10", "R@100": "R@100"}
    return {m: round(sum(s[names[m]] for s in per_query) / max(len(per_query), 1), 4) for m in METRICS}


def evaluate(name: str, index_dir: Path, params=None, baseline: bool = True) -> dict:
    """Return the figures of one collection: ours, the baseline's, their ratios, refused queries."""
    ev = evaluator()
    queries, qrels, _ = ev.load_collection(name)
    judged = [(qid, text) for qid, text in queries if qrels.get(qid)]
    runs, refused = chancery_runs(build_index(name, index_dir), judged, params)
    figures = {"queries": len(judged), "refused": refused,
               "chancery": score(ev, runs, qrels, [q for q, _ in judged])}
    if baseline:
        figures["bm25"] = score(ev, bm25_runs(name, judged), qrels, [q for q, _ in judged])
        figures["ratio"] = {m: round(figures["chancery"][m] / max(figures["bm25"][m], 1e-9), 3) for m in METRICS}
    return figures


def run(names: list[str], indexes: Path | None = None, params=None) -> dict:
    """Evaluate every collection; return the figures with the mean ratios."""
    found = {}
    with tempfile.TemporaryDirectory(prefix="chancery-ir-") as tmp:
        for name in names:
            folder = (indexes or Path(tmp)) / f"ir-{name}"
            found[name] = evaluate(name, folder, params)
            print(name, json.dumps(found[name]), flush=True)
    mean = {m: round(sum(f["ratio"][m] for f in found.values()) / len(found), 3) for m in METRICS}
    return {"collections": found, "mean_ratio": mean,
            "refused": sum(f["refused"] for f in found.values()),
            "command": "python -m bench.relevance" + (" --collections " + " ".join(names)
                                                      if names != collections() else "")}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Ranking quality on the classic IR collections against plain BM25.")
    parser.add_argument("--collections", nargs="*", default=None, help="default: all of ../shared/dev/ir")
    parser.add_argument("--indexes", type=Path, default=None,
                        help="keep the collections' indexes in this folder (default: a temporary one)")
    args = parser.parse_args(argv)
    figures = run(args.collections or collections(), args.indexes)
    common.publish("relevance", "ir", figures)


if __name__ == "__main__":
    main()
