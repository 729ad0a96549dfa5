"""Concurrent askers share reads of the latest revision, but never take one that began before they did."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from valuegraph.graph.revision_check import RevisionCheck


class SlowStore:
    """A revision read that takes the store's revision when it begins and answers when let go."""

    def __init__(self) -> None:
        self.revision = 1
        self.reads = 0
        self.began = threading.Semaphore(0)
        self.release = threading.Event()
        self.fail_next = False

    def read(self) -> int:
        seen = self.revision
        self.reads += 1
        self.began.release()
        self.release.wait(10)
        if self.fail_next:
            self.fail_next = False
            raise ConnectionError("the store went away")
        return seen


def _read_under_way(pool: ThreadPoolExecutor, check: RevisionCheck, store: SlowStore, then: int):
    """A first call, returned once its read is under way; the store then moves on to revision ``then``."""
    first = pool.submit(check.latest)
    assert store.began.acquire(timeout=10)
    store.revision = then
    return first


def _waiting(pool: ThreadPoolExecutor, check: RevisionCheck, n: int):
    """``n`` calls, returned once every one of them waits for the read under way."""
    calls = [pool.submit(check.latest) for _ in range(n)]
    deadline = time.monotonic() + 10
    while len(check._changed._waiters) < n:  # (CPython's Condition lists its waiters)
        assert time.monotonic() < deadline, "the calls did not wait for the read under way"
        time.sleep(0.001)
    return calls


def test_a_read_that_began_before_the_call_does_not_answer_it():
    store = SlowStore()
    check = RevisionCheck(store.read)
    with ThreadPoolExecutor(4) as pool:
        first = _read_under_way(pool, check, store, then=2)  # a write finishes once the read began
        later = pool.submit(check.latest)
        store.release.set()
        assert first.result(10) == 1
        assert later.result(10) == 2  # a second read, begun after the write
    assert store.reads == 2


def test_callers_arriving_during_a_read_share_the_next_one():
    store = SlowStore()
    check = RevisionCheck(store.read)
    with ThreadPoolExecutor(10) as pool:
        first = _read_under_way(pool, check, store, then=7)
        others = _waiting(pool, check, 8)
        store.release.set()
        assert first.result(10) == 1
        assert [f.result(10) for f in others] == [7] * 8
    assert store.reads == 2  # not nine


def test_without_concurrency_every_call_reads():
    store = SlowStore()
    store.release.set()
    check = RevisionCheck(store.read)
    for revision in (3, 4, 4, 9):
        store.revision = revision
        assert check.latest() == revision
    assert store.reads == 4


def test_a_failed_read_fails_its_caller_and_the_waiters_read_again():
    store = SlowStore()
    check = RevisionCheck(store.read)
    store.fail_next = True
    with ThreadPoolExecutor(4) as pool:
        first = _read_under_way(pool, check, store, then=5)
        waiting = _waiting(pool, check, 2)
        store.release.set()
        with pytest.raises(ConnectionError):
            first.result(10)
        assert [f.result(10) for f in waiting] == [5, 5]
    assert store.reads == 2
