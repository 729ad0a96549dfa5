"""A limit on failed attempts per client, against guessing keys at the sign-in form."""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict, deque


class FailureLimiter:
    """At most ``max_failures`` failures per client in any ``window_seconds``; a client at the limit is
    refused (whatever it sends) until its oldest failure leaves the window. Memory is bounded: beyond
    ``max_clients`` the client that failed least recently is forgotten."""

    def __init__(self, max_failures: int, window_seconds: float, max_clients: int = 10_000) -> None:
        self.max_failures = max_failures
        self.window_seconds = window_seconds
        self.max_clients = max_clients
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def _recent(self, client: str, now: float) -> deque[float]:
        times = self._failures.get(client, deque())
        while times and times[0] <= now - self.window_seconds:
            times.popleft()
        return times

    def retry_after(self, client: str) -> int | None:
        """Seconds until ``client`` may try again, or None if it may now."""
        now = time.monotonic()
        with self._lock:
            times = self._recent(client, now)
            if len(times) < self.max_failures:
                return None
            return max(1, math.ceil(times[0] + self.window_seconds - now))

    def failed(self, client: str) -> None:
        now = time.monotonic()
        with self._lock:
            times = self._recent(client, now)
            times.append(now)
            self._failures[client] = times
            self._failures.move_to_end(client)
            while len(self._failures) > self.max_clients:
                self._failures.popitem(last=False)
