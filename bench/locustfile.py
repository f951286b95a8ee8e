"""Locust users for the HTTP benchmark: each request is one of the benchmark queries."""
from __future__ import annotations

import itertools
import json
import os

from locust import FastHttpUser, task

CASES = json.loads(open(os.environ["CHANCERY_BENCH_QUERIES"], encoding="utf-8").read())
_next = itertools.cycle(range(len(CASES)))


def params(case: dict) -> list[tuple[str, str]]:
    pairs = [("q", case["q"])]
    for facet, values in case["filters"].items():
        pairs += [(facet, value) for value in values]
    if case.get("from"):
        pairs += [("from", case["from"]), ("to", case["to"])]
    return pairs


class Researcher(FastHttpUser):
    """Searches back to back, with no think time: a measure of capacity."""

    @task
    def search(self):
        case = CASES[next(_next)]
        self.client.get("/api/search", params=params(case), name="/api/search")
