"""The chancery command: index, export, stats."""
from __future__ import annotations

import json
import sys
import time
from collections import Counter
from pathlib import Path

import click
from tqdm import tqdm

from chancery import settings
from search import articles, indexer, schema


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
@setting_option("batch_size")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
def index_command(paths, **options):
    """Add or replace the articles in files, folders and .jsonl files."""
    config = load_settings(options)
    started = time.perf_counter()
    total = indexer.WriteResult()
    failures = 0
    progress = tqdm(unit=" articles", disable=not sys.stderr.isatty(), file=sys.stderr)
    try:
        writer = indexer.Indexer(config["index_dir"], config["lock_timeout"])
        for batch in _batches(articles.read_paths(list(paths)), config["batch_size"]):
            good = [item for item in batch if isinstance(item, articles.Article)]
            for failure in (item for item in batch if isinstance(item, articles.Failure)):
                failures += 1
                progress.write(f"failed: {failure.where}: {failure.reason}", file=sys.stderr)
            # Each batch is one atomic commit, parsed before the lock is taken.
            total += writer.write(good)
            progress.update(len(batch))
    except indexer.IndexLocked as error:
        raise click.ClickException(str(error)) from None
    finally:
        progress.close()
    seconds = time.perf_counter() - started
    click.echo(f"indexed {total.added}, replaced {total.replaced}, failed {failures} "
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
            click.echo(json.dumps(schema.to_article(fields).to_dict(), ensure_ascii=False))


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


def main():
    """Run the command line."""
    cli(prog_name="chancery")
