"""ChunkReorder: Twilio media back in chunk order, duplicates and gaps counted exactly."""

from __future__ import annotations

import random

from langassist.api.reorder import ChunkReorder


def test_in_order_chunks_pass_straight_through() -> None:
    order: ChunkReorder[int] = ChunkReorder()
    assert [order.push(n, n) for n in range(1, 5)] == [[1], [2], [3], [4]]
    assert order.counts.duplicate == order.counts.gap == order.counts.late == 0


def test_reordered_within_the_window_is_put_back_in_order() -> None:
    order: ChunkReorder[int] = ChunkReorder(window=3)
    assert order.push(1, 1) == [1]
    assert order.push(3, 3) == [] and order.push(4, 4) == [] and order.push(5, 5) == []
    assert order.push(2, 2) == [2, 3, 4, 5]
    assert order.counts.gap == 0


def test_a_lost_chunk_is_a_gap_after_the_window_and_a_late_copy_is_dropped() -> None:
    order: ChunkReorder[int] = ChunkReorder(window=3)
    order.push(1, 1)
    for n in (3, 4, 5):
        assert order.push(n, n) == []
    assert order.push(6, 6) == [3, 4, 5, 6]  # 2 declared lost once 4 later chunks waited
    assert order.counts.gap == 1
    assert order.push(2, 2) == [] and order.counts.late == 1
    assert order.push(4, 4) == [] and order.counts.duplicate == 1


def test_first_chunks_lost_and_drain_at_the_end() -> None:
    order: ChunkReorder[int] = ChunkReorder(window=3)
    assert order.push(3, 3) == []  # chunks start at 1: 1 and 2 may still come
    assert order.push(5, 5) == []
    assert order.drain() == [3, 5]
    assert order.counts.gap == 3  # 1, 2 and 4


def test_random_sessions_count_exactly() -> None:
    rng = random.Random(3)
    for _ in range(50):
        chunks = list(range(1, 301))
        lost = set(rng.sample(range(2, 290), 4))
        sent = [c for c in chunks if c not in lost]
        dups = rng.sample(range(len(sent)), 4)
        for index in sorted(dups, reverse=True):
            sent.insert(index + 1, sent[index])
        for start in rng.sample(range(0, len(sent) - 5, 10), 5):  # move one back by <= 3
            item = sent.pop(start)
            sent.insert(start + rng.randint(1, 3), item)
        order: ChunkReorder[int] = ChunkReorder(window=3)
        out = [x for c in sent for x in order.push(c, c)] + order.drain()
        assert out == [c for c in chunks if c not in lost]
        assert order.counts.duplicate == 4 and order.counts.gap == 4 and order.counts.late == 0
        assert len(list(order.held)) == 0
