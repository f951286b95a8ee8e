"""Generate a reproducible corpus of diplomatic-news-like articles as JSON Lines.

People, countries, topics and sources come from the project's own data files with
a news-like skew (a few dominate: Zipf over a shuffled order); the remaining words
come from a Zipfian vocabulary of the seeds' words and made-up ones; dates spread
over 2000-2026; about 5% of articles are near-duplicate rewrites of earlier ones.

    python -m bench.generate --count 20000 --seed 1 > bench/out/corpus-20k.jsonl
"""
from __future__ import annotations

import argparse
import json
import random
import re
import sys
from datetime import date, timedelta
from pathlib import Path
from typing import Iterator

from chancery.search import data

ROOT = Path(__file__).resolve().parent.parent
SYLLABLES = ["ka", "lo", "mi", "ra", "ten", "vor", "sa", "lin", "dor", "pe", "us", "an", "tri", "gal", "mon",
             "zi", "ber", "ost", "cha", "nel", "qui", "fa", "ron", "del"]
ROLES = ["President", "Foreign Minister", "Prime Minister", "spokesman", "Secretary of State", "envoy",
         "Defence Minister", "presidential aide"]
VERBS = ["said", "told reporters", "stressed", "noted", "warned", "added", "announced"]
START, END = date(2000, 1, 1), date(2026, 10, 31)


class Zipf:
    """Draw items with probability proportional to 1 / rank ** exponent."""

    def __init__(self, items: list, rng: random.Random, exponent: float = 1.1):
        self.items = items
        weights = [1.0 / (rank ** exponent) for rank in range(1, len(items) + 1)]
        total = sum(weights)
        self.cumulative, running = [], 0.0
        for weight in weights:
            running += weight / total
            self.cumulative.append(running)
        self.rng = rng

    def draw(self):
        from bisect import bisect_left
        return self.items[min(bisect_left(self.cumulative, self.rng.random()), len(self.items) - 1)]


def vocabulary(rng: random.Random, size: int = 30_000) -> list[str]:
    """Return words in Zipf rank order: the seeds' words first, then made-up ones."""
    text = " ".join(p.read_text(encoding="utf-8") for p in sorted((ROOT / "seeds").glob("*.txt")))
    counts: dict[str, int] = {}
    for word in re.findall(r"[a-z]{2,}", text.lower()):
        counts[word] = counts.get(word, 0) + 1
    words = sorted(counts, key=lambda w: -counts[w])
    seen = set(words)
    while len(words) < size:
        word = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4)))
        if word not in seen:
            seen.add(word)
            words.append(word)
    return words


def _skewed(values: list[str], rng: random.Random, exponent: float) -> Zipf:
    shuffled = values[:]
    rng.shuffle(shuffled)
    return Zipf(shuffled, rng, exponent)


def articles(count: int, seed: int) -> Iterator[dict]:
    """Yield count articles, the same for the same seed."""
    rng = random.Random(seed)
    words = Zipf(vocabulary(rng), rng, 1.05)
    people = _skewed([row["name"] for row in data.table("persons.tsv")], rng, 1.2)
    countries = _skewed([row["name"].lstrip("~") for row in data.table("countries.tsv")], rng, 1.3)
    sources = _skewed([row["name"] for row in data.table("sources.tsv")], rng, 1.0)
    parser = data.ini("topics.ini")
    cues = {slug: data.split_list(parser[slug]["strong"]) for slug in parser.sections()}
    topics = _skewed(sorted(cues), rng, 0.9)
    days = (END - START).days
    made: list[dict] = []
    for number in range(count):
        if made and rng.random() < 0.05:
            yield _rewrite(rng.choice(made[-500:]), number, rng, words)
            continue
        cast = [people.draw() for _ in range(rng.randint(1, 4))]
        places = [countries.draw() for _ in range(rng.randint(1, 5))]
        themes = [topics.draw() for _ in range(rng.randint(1, 3))]
        sentences = []
        while sum(len(s.split()) for s in sentences) < rng.randint(300, 500):
            sentence = [words.draw() for _ in range(rng.randint(8, 22))]
            roll = rng.random()
            if roll < 0.3:
                sentence[rng.randrange(len(sentence))] = f"{rng.choice(ROLES)} {rng.choice(cast)} {rng.choice(VERBS)}"
            elif roll < 0.55:
                sentence.insert(rng.randrange(len(sentence)), f"in {rng.choice(places)}")
            elif roll < 0.7:
                sentence.insert(rng.randrange(len(sentence)), rng.choice(cues[rng.choice(themes)]))
            text = " ".join(sentence)
            sentences.append(text[0].upper() + text[1:] + ".")
        lead = cast[0].split()[-1]
        title = f"{lead} {rng.choice(VERBS).split()[0]} {rng.choice(places)} " + " ".join(
            words.draw() for _ in range(rng.randint(2, 6)))
        published = START + timedelta(days=int(days * rng.random() ** 0.7))
        article = {"id": f"gen-{seed}-{number:07d}", "title": title[0].upper() + title[1:],
                   "body": "\n\n".join(" ".join(sentences[i:i + 4]) for i in range(0, len(sentences), 4)),
                   "source": sources.draw(), "published": published.isoformat(),
                   "url": f"https://news.example/{seed}/{number}"}
        made.append(article)
        if len(made) > 1000:            # rewrites draw from the last 500: a 1M corpus stays small in memory
            del made[:500]
        yield article


def _rewrite(original: dict, number: int, rng: random.Random, words: Zipf) -> dict:
    """Return a near-duplicate: the same story with a few words changed, republished."""
    tokens = original["body"].split(" ")
    for _ in range(max(1, len(tokens) // 40)):
        tokens[rng.randrange(len(tokens))] = words.draw()
    published = date.fromisoformat(original["published"]) + timedelta(days=rng.randint(0, 3))
    return {**original, "id": f"{original['id']}-r{number}", "body": " ".join(tokens),
            "published": min(published, END).isoformat(), "url": f"{original['url']}?rewrite={number}"}


def main(argv: list[str] | None = None) -> None:
    """Write the corpus to stdout or a file."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=20_000, help="articles to generate")
    parser.add_argument("--seed", type=int, default=1, help="random seed (same seed, same corpus)")
    parser.add_argument("--out", type=Path, help="output file (default: stdout)")
    args = parser.parse_args(argv)
    out = args.out.open("w", encoding="utf-8") if args.out else sys.stdout
    try:
        for article in articles(args.count, args.seed):
            out.write(json.dumps(article, ensure_ascii=False) + "\n")
    finally:
        if args.out:
            out.close()


if __name__ == "__main__":
    main()
