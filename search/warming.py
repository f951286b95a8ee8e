"""Prepare each new index version before a request needs it.

After a commit, a serving worker's next request used to pay for the new version: the
new segments' arrays, concatenations over every document, and cold reads of its
query's terms in the new segments. A daemon thread in each worker looks for a new
version every few seconds, builds its snapshot, reads the worker's recently used
terms in the new segments, and leaves the snapshot for the first request thread
that needs that version.
"""
from __future__ import annotations

import logging
import threading

from chancery.search.snapshot import Snapshot, TermCache

LOG = logging.getLogger("chancery")
RECENT_TERMS = 256          # terms read ahead in each new segment, most recently used first


class Ready:
    """One prepared snapshot, handed to the first request thread that asks for its version."""

    def __init__(self):
        self.lock = threading.Lock()
        self.snap: Snapshot | None = None

    def offer(self, snap: Snapshot) -> None:
        """Leave a snapshot to be taken, closing an older one nobody took."""
        with self.lock:
            old, self.snap = self.snap, snap
        if old is not None:
            old.searcher.close()

    def take(self, version: int) -> Snapshot | None:
        """Return the prepared snapshot of a version (once: it is its taker's from then on)."""
        with self.lock:
            if self.snap is None or self.snap.version != version:
                return None
            snap, self.snap = self.snap, None
            return snap


def recent_terms(terms: TermCache, limit: int = RECENT_TERMS) -> list[tuple[str, str, str]]:
    """Return the (kind, field, text) of the most recently read terms, newest first."""
    with terms.lock:
        return list(reversed(terms.recent))[:limit]


def warm_terms(snap: Snapshot, known: set, recent: list[tuple[str, str, str]]) -> int:
    """Read the recent terms in the snapshot's segments not among known; return the reads."""
    reads = 0
    for data, _, leaf in snap.segments:
        if data.key in known:
            continue
        for kind, fieldname, text in recent:
            (data.term if kind == "postings" else data.positions)(leaf, fieldname, text)
            reads += 1
    return reads


class Warmer(threading.Thread):
    """Prepare a service's new index versions every interval seconds, until stopped."""

    def __init__(self, service, interval: float):
        super().__init__(name="chancery-warmer", daemon=True)
        self.service = service
        self.interval = interval
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(self.interval):
            try:
                self.service.prepare()
            except Exception:           # a failed preparation leaves requests to build their own
                LOG.exception("preparing the new index version failed")

    def stop(self) -> None:
        self.stopped.set()
