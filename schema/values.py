"""Values of the vocabulary's number and date types: what counts as one, and how text is read as one.

A number is a finite int or float. Python's bool is a subclass of int, but
True is a boolean value here, never the number 1; infinities and NaN are no
numbers either (no store, JSON or GraphQL Float keeps them faithfully).
A date is an ISO-8601 date (``2026-03-31``), or a date and time.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import TypeGuard, TypeVar

Default = TypeVar("Default")

#: the largest integer every number type on the way keeps exact (2^53: a double's 53-bit significand, which is
#: what JavaScript, GraphQL clients and many JSON readers turn a number into); larger ones are refused
MAX_EXACT_INTEGER = 2**53


def is_number(value: object) -> TypeGuard[int | float]:
    """Whether ``value`` is a finite int or float, and not a bool."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def number_or(value: object, default: Default) -> float | Default:
    """``value`` as a float where it is a number (see ``is_number``), else ``default``."""
    return float(value) if is_number(value) else default


def parse_number(text: str) -> int | float:
    """A number written as text: an int where the text is an integer (exact at any size), else a float.

    Raises ValueError for text that is no finite number."""
    try:
        return int(text)
    except ValueError:
        number = float(text)
    if not math.isfinite(number):
        raise ValueError(f"not a finite number: {text!r}")
    return number


def parse_date(text: str) -> dt.date | dt.datetime:
    """An ISO-8601 date (exactly ``YYYY-MM-DD``) as a date, or a date and time as a datetime.

    Raises ValueError for any other text."""
    if len(text) == 10:
        return dt.date.fromisoformat(text)
    return dt.datetime.fromisoformat(text)
