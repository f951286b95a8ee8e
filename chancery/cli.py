"""The chancery command: index, export, explain, stats."""
from __future__ import annotations

import html
import json
import re
import sys
import textwrap
import time
from collections import Counter
from pathlib import Path

import click
from tqdm import tqdm

from chancery import settings
from chancery.search import articles, event_store, evidence, indexer, schema, searcher
from chancery.search import batch as batch_reader
from chancery.search.parallel_writer import WriterProcessFailed
from chancery.search.query import QueryError


READ_AHEAD = 50_000              # articles the reading workers may parse ahead of the writer


def setting_option(name: str):
    """Return a click option for a declared setting (its default comes from resolve)."""
    setting = settings.SETTINGS[name]
    return click.option(setting.flag, name, default=None,
                        help=f"{setting.help} [env {setting.env}; default {setting.default}]")


def load_settings(options: dict) -> dict:
    """Resolve settings from options and environment, as a click error when invalid."""
    try:
        return settings.resolve(options)
    except settings.SettingError as error:
        raise click.UsageError(str(error)) from None


@click.group()
@click.version_option(package_name="chancery")
def cli():
    """Chancery: full-text search over diplomatic and international news."""


def _batches(items, size):
    batch = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


@cli.command("index")
@setting_option("index_dir")
@setting_option("lock_timeout")
@setting_option("events")
@setting_option("batch_size")
@setting_option("jobs")
@setting_option("writers")
@click.option("--only-new", is_flag=True,
              help="Skip the articles whose id is already indexed (resume an import that was interrupted).")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
def index_command(paths, only_new, **options):
    """Add or replace the articles in files, folders and .jsonl files."""
    config = load_settings(options)
    started = time.perf_counter()
    total = indexer.WriteResult()
    failures = 0
    progress = tqdm(unit=" articles", disable=not sys.stderr.isatty(), file=sys.stderr)
    try:
        writer = indexer.Indexer(config["index_dir"], config["lock_timeout"], config["events"], config["writers"])
        known = indexer.indexed_ids(config["index_dir"]) if only_new else frozenset()
        # Workers read the next batch while one is written, at a lower priority (search.batch):
        # with 10,000 read ahead, a batch's reading and its linking ran one after the other
        # (2 batches into a 1M index: 478 s; a whole batch ahead, niced: 441 s).
        read = batch_reader.read(list(paths), config["jobs"], config["events"],
                                 ahead=min(config["batch_size"], READ_AHEAD), skip_ids=known)
        for batch in _batches(read, config["batch_size"]):
            good = [item for item in batch if isinstance(item, articles.Article)]
            for failure in (item for item in batch if isinstance(item, articles.Failure)):
                failures += 1
                progress.write(f"failed: {failure.where}: {failure.reason}", file=sys.stderr)
            # Each batch is one atomic commit, parsed by the pool ahead of the writer,
            # so the lock is never held while parsing.
            total += writer.write(good, only_new=only_new)
            progress.update(len(batch))
    except (indexer.IndexLocked, WriterProcessFailed) as error:
        raise click.ClickException(str(error)) from None
    except (indexer.DiskFull, indexer.IndexReadOnly) as error:
        raise click.ClickException(error.strerror) from None
    finally:
        progress.close()
    seconds = time.perf_counter() - started
    skipped = f"skipped {total.skipped + len(known)} already indexed, " if only_new else ""
    click.echo(f"indexed {total.added}, replaced {total.replaced}, {skipped}failed {failures} "
               f"in {seconds:.2f} s (index version {total.version})")
    sys.exit(1 if failures else 0)


def _open(index_dir):
    try:
        return indexer.open_index(index_dir)
    except indexer.IndexMissing as error:
        raise click.ClickException(str(error)) from None


@cli.command("export")
@setting_option("index_dir")
def export_command(**options):
    """Write every indexed article with its entities as JSON Lines."""
    config = load_settings(options)
    with _open(config["index_dir"]).searcher() as searcher:
        for fields in sorted(searcher.all_stored_fields(), key=lambda f: f["id"]):
            article = {**schema.to_article(fields).to_dict(), **event_store.article_extras(fields)}
            click.echo(json.dumps(article, ensure_ascii=False))


@cli.command("explain")
@click.argument("doc_id")
@setting_option("index_dir")
def explain_command(doc_id, **options):
    """Show why an article has its persons, countries and topics: spans, rules, scores."""
    config = load_settings(options)
    with _open(config["index_dir"]).searcher() as searcher:
        fields = searcher.document(id=doc_id)
    if fields is None:
        raise click.ClickException(f"no article with id {doc_id!r}")
    article = schema.to_article(fields).to_dict()
    click.echo(json.dumps({"id": doc_id, "title": article["title"], "explain": evidence.explain(article)},
                          ensure_ascii=False, indent=2))


@cli.command("optimize")
@setting_option("index_dir")
@setting_option("lock_timeout")
@click.option("--arrays", is_flag=True,
              help="Only save the read arrays that segments lack (an index written by an older version: "
                   "term arrays, sorted facets), without merging.")
def optimize_command(arrays, **options):
    """Merge the index into one segment and drop deleted documents."""
    config = load_settings(options)
    _open(config["index_dir"])
    if arrays:
        saved = indexer.Indexer(config["index_dir"], config["lock_timeout"]).save_segment_arrays()
        click.echo(f"arrays saved for {saved} segments")
        return
    try:
        figures = indexer.Indexer(config["index_dir"], config["lock_timeout"]).optimize()
    except indexer.IndexLocked as error:
        raise click.ClickException(str(error)) from None
    except (indexer.DiskFull, indexer.IndexReadOnly) as error:
        raise click.ClickException(error.strerror) from None
    for name in ("before", "after"):
        f = figures[name]
        click.echo(f"{name}: {f['documents']} documents, {f['stored']} stored, {f['segments']} segments, "
                   f"{f['bytes'] / 1e6:.1f} MB")


@cli.command("stats")
@setting_option("index_dir")
@click.option("--top", default=10, show_default=True, type=click.IntRange(1, 1000),
              help="Values shown per facet.")
def stats_command(top, **options):
    """Show the document count and the top values of each facet."""
    config = load_settings(options)
    ix = _open(config["index_dir"])
    counts = {facet: Counter() for facet in schema.FACETS}
    with ix.searcher() as searcher:
        total = searcher.doc_count()
        for fields in searcher.all_stored_fields():
            for facet in schema.FACETS:
                counts[facet].update(schema.split_values(fields.get(facet)))
    click.echo(f"documents: {total}")
    click.echo(f"index version: {indexer.version(ix)}")
    for facet in schema.FACETS:
        click.echo(f"{facet}:")
        for value, count in counts[facet].most_common(top):
            click.echo(f"  {count:>6}  {value}")


def _print_results(response: dict) -> None:
    click.echo(f"{response['total']} results in {response['took_ms']} ms")
    if response["suggestion"]:
        click.echo(f"did you mean: {response['suggestion']}")
    for number, hit in enumerate(response["results"], start=1):
        click.echo(f"\n{number}. {hit['title']}  [{hit['score']}]")
        click.echo(f"   {hit['published'] or 'undated'} · {hit['source'] or 'unknown source'} · {hit['id']}")
        snippet = re.sub(r"</?mark>", "*", html.unescape(hit["snippet"]))
        click.echo(textwrap.fill(snippet, width=100, initial_indent="   ", subsequent_indent="   "))
    for facet, buckets in response["facets"].items():
        shown = ", ".join(f"{b['value']} ({b['count']})" for b in buckets[:8])
        if shown:
            click.echo(f"\n{facet}: {shown}")


@cli.command("search")
@setting_option("index_dir")
@click.argument("query", nargs=-1)
@click.option("--json", "as_json", is_flag=True, help="Print the API's JSON response.")
@click.option("--person", multiple=True, help="Filter on a person (any alias); repeatable.")
@click.option("--country", multiple=True, help="Filter on a country (any alias); repeatable.")
@click.option("--topic", multiple=True, help="Filter on a topic slug; repeatable.")
@click.option("--source", multiple=True, help="Filter on a source; repeatable.")
@click.option("--or", "or_facets", multiple=True, type=click.Choice(schema.FACETS),
              help="Combine this facet's values with OR instead of AND; repeatable.")
@click.option("--from", "date_from", type=click.DateTime(["%Y-%m-%d"]), help="Published on or after.")
@click.option("--to", "date_to", type=click.DateTime(["%Y-%m-%d"]), help="Published on or before.")
@click.option("--sort", type=click.Choice(searcher.SORTS), help="Order of results.")
@click.option("--page", default=1, type=click.IntRange(1), show_default=True)
@click.option("--per-page", default=10, type=click.IntRange(1, searcher.MAX_PER_PAGE), show_default=True)
def search_command(query, as_json, or_facets, date_from, date_to, sort, page, per_page, **options):
    """Search like GET /api/search, from a terminal."""
    filters = {facet: list(options.pop(facet)) for facet in schema.FACETS}
    config = load_settings(options)
    request = searcher.SearchRequest(
        q=" ".join(query), filters={f: v for f, v in filters.items() if v}, ops={f: "or" for f in or_facets},
        date_from=date_from.date() if date_from else None, date_to=date_to.date() if date_to else None,
        sort=sort, page=page, per_page=per_page)
    try:
        _open(config["index_dir"])
        response = searcher.Service(config["index_dir"]).search(request)
    except QueryError as error:
        raise click.UsageError(f"{error.parameter}: {error}") from None
    if as_json:
        click.echo(json.dumps(response, ensure_ascii=False, indent=2))
    else:
        _print_results(response)


@cli.command("serve")
@setting_option("index_dir")
@setting_option("host")
@setting_option("port")
@setting_option("workers")
@setting_option("threads")
@setting_option("read_timeout")
@setting_option("write_nice")
@setting_option("cors_origins")
@setting_option("max_request_bytes")
@setting_option("lock_timeout")
@setting_option("events")
@setting_option("cache_mb")
@setting_option("warm_seconds")
def serve_command(**options):
    """Serve the API and the search page with gunicorn."""
    config = load_settings(options)
    from chancery.server import Server
    names = ("index_dir", "cors_origins", "max_request_bytes", "lock_timeout", "cache_mb", "events")
    app_config = {name: options[name] for name in names if options[name] is not None}
    Server(app_config, f"{config['host']}:{config['port']}", config["workers"], config["threads"],
           config["read_timeout"], config["write_nice"], config["warm_seconds"]).run()


def main():
    """Run the command line."""
    cli(prog_name="chancery")
