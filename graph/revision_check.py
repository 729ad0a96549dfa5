"""The store's latest revision, read once for many concurrent askers.

A request must answer at the revision of every write that finished before it began, so where other
processes write to the store it needs a read of the latest revision that *began* after it did. Concurrent
requests share such reads: one that arrives while a read is under way waits for that read if it began
after the request did; otherwise it waits for it to end, and the first waiter then starts the next read,
which serves every request waiting. At most one read is under way per process, and at many concurrent
requests one read serves many of them.
"""

from __future__ import annotations

import threading
from collections.abc import Callable


class RevisionCheck:
    def __init__(self, read: Callable[[], int]) -> None:
        """``read``: one read of the store's latest revision."""
        self._read = read
        self._changed = threading.Condition()
        self._started = 0  # reads begun, numbered from 1
        self._answered = 0  # the number of the last read that gave an answer
        self._latest = 0  # its answer
        self._reading = False

    def latest(self) -> int:
        """The store's latest revision, as a read that began after this call did gives it."""
        with self._changed:
            needed = self._started + 1  # a read under way now began before this call: it does not serve it
            while self._answered < needed:
                if not self._reading:
                    self._reading = True
                    self._started += 1
                    number = self._started
                    break
                self._changed.wait()
            else:
                return self._latest
        answered = False
        try:
            latest = self._read()
            answered = True
        finally:
            with self._changed:
                self._reading = False
                if answered:
                    self._answered, self._latest = number, latest
                self._changed.notify_all()  # on failure too: a waiter starts a read of its own
        return latest
