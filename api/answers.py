"""Answers are computed off the event loop, all the same way.

A question traverses the index, computes over it and reads records from the store: seconds of CPU on a
large graph. Run on the event loop it would stall every other request meanwhile, so every resolver and
route that asks one awaits it on a worker thread through ``answer``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ParamSpec, TypeVar

from starlette.concurrency import run_in_threadpool

P = ParamSpec("P")
T = TypeVar("T")


async def answer(question: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """``question(*args, **kwargs)``, run on a worker thread."""
    return await run_in_threadpool(question, *args, **kwargs)
