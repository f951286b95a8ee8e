"""Train the person-name tagger from CoNLL-format files and write its weights as JSON.

  python -m chancery.search.train_persons --data DIR_OR_FILE [...] --out search/data/person_tagger.json
  python -m chancery.search.train_persons --lexicon      (rebuild search/data/word_zipf.txt first)

Each input holds one "token label" line per token (IOB1 or IOB2 labels, the label
last; -DOCSTART- lines and blank lines split documents and sentences). Only PER
labels are used. The sentences are joined back into text and read by the same
tokenizer as extraction, so the model sees exactly what it will see at run time.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import math
import random
import sys
from pathlib import Path

from nltk.tag.perceptron import AveragedPerceptron

from chancery.search import entities, person_tagger

CONLL_SUFFIXES = {".conll", ".txt"}
LEXICON_MIN_ZIPF = 2.5
LEXICON_MAX_BUCKET = 6.0
SEED = 7
EPOCHS = 8
MIN_WEIGHT = 0.01


def read_conll(path: Path) -> list[list[tuple[str, bool, bool]]]:
    """Return the sentences of a CoNLL file as (token, begins a person, inside a person) triples."""
    sentences, current = [], []
    previous = "O"
    for line in path.read_text(encoding="utf-8").splitlines():
        cells = line.split()
        if not cells or cells[0] == "-DOCSTART-":
            if current:
                sentences.append(current)
            current, previous = [], "O"
            continue
        word, label = cells[0], cells[-1]
        person = _is_person(label)
        begins = person and (label.startswith("B-") or not _is_person(previous))
        current.append((word, begins, person))
        previous = label
    if current:
        sentences.append(current)
    return sentences


def _is_person(label: str) -> bool:
    """Tell whether a label marks a person: PER (CoNLL, WikiGold, BTC) or Person (re3d)."""
    return label[2:] in ("PER", "Person") if label[1:2] == "-" else False


def to_example(sentence: list[tuple[str, bool, bool]]) -> tuple[str, list, list[str]]:
    """Join a sentence into text, tokenize it as extraction does and label each token B, I or O."""
    text, spans = "", []
    for word, begins, person in sentence:
        start = len(text) + (1 if text else 0)
        text = f"{text} {word}" if text else word
        if begins:
            spans.append([start, start + len(word)])
        elif person and spans:
            spans[-1][1] = start + len(word)
    tokens = entities.tokenize(text)
    labels = []
    for token in tokens:
        label = "O"
        for start, end in spans:
            if start <= token.start < end:
                label = "B" if token.start == start else "I"
        labels.append(label)
    return text, tokens, labels


def train(files: list[Path], epochs: int = EPOCHS, seed: int = SEED) -> dict:
    """Train the perceptron on the files and return the model as a JSON-ready dict."""
    gaz = entities.gazetteer()
    kinds = person_tagger.single_kinds(gaz)
    examples = [to_example(s) for path in files for s in read_conll(path)]
    perceptron = AveragedPerceptron()
    perceptron.classes = set(person_tagger.LABELS)
    rng = random.Random(seed)
    for epoch in range(epochs):
        rng.shuffle(examples)
        errors = seen = 0
        for text, tokens, labels in examples:
            marks = person_tagger.candidates(tokens)
            previous = "O"
            for i, gold in enumerate(labels):
                if not marks[i]:
                    previous = "O"
                    continue
                feats = person_tagger.features(tokens, i, text, previous, gaz, kinds,
                                               person_tagger.sentence_start(tokens, i, text))
                guess, _ = person_tagger.predict(_dense(perceptron.weights, feats), feats)
                perceptron.update(gold, guess, {f: 1 for f in feats})
                errors += guess != gold
                seen += 1
                previous = guess
        print(f"epoch {epoch + 1}: {errors}/{seen} candidate tokens wrong", file=sys.stderr)
    perceptron.average_weights()
    weights = {}
    for feat, by_label in sorted(perceptron.weights.items()):
        row = [round(by_label.get(label, 0.0), 3) for label in person_tagger.LABELS]
        if max(abs(w) for w in row) >= MIN_WEIGHT:
            weights[feat] = row
    return {"labels": list(person_tagger.LABELS), "weights": weights}


def _dense(weights: dict, feats: list[str]) -> dict:
    return {f: [weights[f].get(label, 0.0) for label in person_tagger.LABELS] for f in feats if f in weights}


def build_lexicon(out: Path) -> int:
    """Write the Zipf-frequency buckets of common English words (wordfreq's large list); return the count."""
    from importlib.metadata import version

    import wordfreq                             # only needed to rebuild the file, not to run

    by_bucket: dict[float, set[str]] = {}
    for word, frequency in wordfreq.get_frequency_dict("en", wordlist="large").items():
        zipf = math.log10(frequency * 1e9)
        key = entities.fold(word).lower()
        if zipf >= LEXICON_MIN_ZIPF and key.isalpha():
            bucket = min(LEXICON_MAX_BUCKET, math.floor(zipf * 2) / 2)
            by_bucket.setdefault(bucket, set()).add(key)
    seen: set[str] = set()
    lines = ["# Zipf frequency buckets (log10 per billion words) of English words in lower case, from",
             f"# wordfreq {version('wordfreq')} (data CC BY-SA 4.0, Robyn Speer et al.): `python -m "
             "chancery.search.train_persons --lexicon`.", "# A word is listed once, in its highest bucket."]
    for bucket in sorted(by_bucket, reverse=True):
        words = sorted(by_bucket[bucket] - seen)
        seen |= by_bucket[bucket]
        lines.append(f"{bucket:g}\t{' '.join(words)}")
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return len(seen)


def build_names(out: Path) -> int:
    """Write the given names and the surnames by rank of the 1990 US census (the `names` package)."""
    import names                                # only needed to rebuild the file, not to run

    folder = Path(names.__file__).parent

    def ranked(name: str) -> list[str]:
        return [line.split()[0].lower() for line in (folder / name).read_text().splitlines()]

    given = set(ranked("dist.male.first") + ranked("dist.female.first"))
    surnames = ranked("dist.all.last")
    lines = ["# Given names and surnames (by rank) of the 1990 US census, public domain, as shipped by the",
             "# `names` package (MIT): `python -m chancery.search.train_persons --lexicon`. A given name is",
             "# listed only as one."]
    lines.append("given\t" + " ".join(sorted(given)))
    for bucket, (low, high) in (("s1k", (0, 1000)), ("s10k", (1000, 10000)), ("s100k", (10000, None))):
        lines.append(f"{bucket}\t" + " ".join(sorted(set(surnames[low:high]) - given)))
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return len(given | set(surnames))


def conll_files(paths: list[str]) -> list[Path]:
    """Expand folders into the CoNLL files they hold, in one order whatever the order given."""
    found = set()
    for name in paths:
        path = Path(name)
        found |= {p for p in path.rglob("*") if p.is_file() and p.suffix in CONLL_SUFFIXES} if path.is_dir() else {path}
    return sorted(found)


def main(argv: list[str] | None = None) -> None:
    """Train from the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", nargs="+", help="CoNLL files or folders of them")
    parser.add_argument("--lexicon", action="store_true",
                        help=f"rebuild search/data/{person_tagger.LEXICON_FILE} (from wordfreq) and "
                             f"{person_tagger.NAMES_FILE} (from names) instead of training")
    parser.add_argument("--out", default=str(person_tagger.data.path(person_tagger.MODEL_FILE)))
    parser.add_argument("--epochs", type=int, default=EPOCHS)
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args(argv)
    if args.lexicon:
        count = build_lexicon(person_tagger.data.path(person_tagger.LEXICON_FILE))
        print(f"wrote {count} words to {person_tagger.LEXICON_FILE}", file=sys.stderr)
        count = build_names(person_tagger.data.path(person_tagger.NAMES_FILE))
        print(f"wrote {count} names to {person_tagger.NAMES_FILE}", file=sys.stderr)
        return
    if not args.data:
        parser.error("--data is required to train")
    files = conll_files(args.data)
    model = train(files, args.epochs, args.seed)
    model["trained_on"] = [{"file": f.name, "sha256": hashlib.sha256(f.read_bytes()).hexdigest()} for f in files]
    model["epochs"], model["seed"] = args.epochs, args.seed
    out = Path(args.out)
    out.write_text(json.dumps(model, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8")
    print(f"wrote {len(model['weights'])} features to {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
