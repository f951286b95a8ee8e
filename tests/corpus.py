"""A reproducible synthetic corpus made from the seeds' sentences, for ranking tests."""
from __future__ import annotations

import random
import re

from conftest import SEEDS


def sentences() -> list[str]:
    text = " ".join(path.read_text(encoding="utf-8") for path in sorted(SEEDS.glob("*.txt")))
    return [s.strip() for s in re.split(r"(?<=[.!?])\s+", " ".join(text.split())) if len(s.split()) > 5]


def records(count: int, seed: int = 7) -> list[dict]:
    """Return count JSON records mixing seed sentences, with dates over 2014-2019."""
    rng = random.Random(seed)
    pool = sentences()
    out = []
    for number in range(count):
        body = " ".join(rng.sample(pool, rng.randint(3, 12)))
        title = " ".join(rng.choice(pool).split()[:rng.randint(4, 9)])
        out.append({"id": f"doc{number:04d}", "title": title, "body": body,
                    "published": f"{rng.randint(2014, 2019)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"})
    return out
