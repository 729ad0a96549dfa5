"""Bulk work without the cyclic garbage collector.

Validating and writing a large document allocates hundreds of thousands of small objects that form no
reference cycles; each allocation burst makes the collector walk every live object again, which at
10,000 projects costs a fifth of a load. Reference counting still frees everything as usual, and the
collector runs again as soon as the work is done.

The pause is process-wide (CPython has no per-thread collector): readers of a serving process run without
the collector while a write goes on. That does not stall them — it spares them the full collections a write
would otherwise set off, which stop every thread (``python -m benchmarks.collector``; figures in
benchmarks/RESULTS.md: readers' latencies equal with and without the pause, the longest collection 0.45–0.66 s
without it and under 0.1 s with it).
"""

from __future__ import annotations

import contextlib
import gc
import threading

_lock = threading.Lock()
_depth = 0  # bulk work under way (threads may overlap): the collector resumes when none is left
_was_enabled = False


@contextlib.contextmanager
def collector_paused():
    global _depth, _was_enabled
    with _lock:
        if _depth == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _was_enabled:
                gc.enable()


def freeze_started_process() -> None:
    """Leave what a started server holds out of every later collection: its modules, classes and functions
    (some 150,000 objects) and the index it loaded live as long as the process, yet each full collection
    walks them all again, which at M was a fifth of a cold ``what_delivers``. Called once a worker (or
    the supervisor of workers, or a single-process server) is ready to answer. A snapshot that a write
    replaces is freed by reference counting (nothing in it points back at it: tests/test_collector.py), so
    keeping the first one out of collections leaks nothing.

    The collector then runs again, if the command's start paused it (cli/start.py). Cyclic garbage made
    while it was paused (a worker opens its store and loads its index before this) is frozen with the rest:
    a one-time cost, as large as that start's cycles."""
    gc.freeze()
    resume_after_start()


def resume_after_start() -> None:
    """Let the collector run again after a process's start paused it (cli/start.py); if bulk work under way
    holds it paused, once that work ends."""
    global _was_enabled
    with _lock:
        if _depth == 0:
            gc.enable()
        else:
            _was_enabled = True  # what ``collector_paused`` restores when the last bulk work ends
