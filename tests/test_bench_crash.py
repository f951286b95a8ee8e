"""kill -9 of the server during writes and of the indexer loses nothing acknowledged (bench.crash, small)."""
from __future__ import annotations

import random

import pytest

from bench import crash


@pytest.mark.server
def test_killing_the_server_during_writes_loses_no_acknowledged_article():
    figures = crash.server_rounds(2, random.Random(3))
    assert figures["batches_acknowledged"] >= 2          # each kill fell after a write of its round
    assert figures["acknowledged_lost"] == 0
    assert figures["batches_torn"] == 0
    assert figures["search_after"] is True


def test_killing_the_indexer_leaves_whole_batches_and_a_rerun_completes():
    figures = crash.indexer_rounds(1, random.Random(3), count=400, batch_size=40)
    assert figures["rerun_complete"] is True
    assert figures["partial_batches"] == 0
