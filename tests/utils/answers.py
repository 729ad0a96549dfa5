"""Answers as tests compare them."""

from __future__ import annotations

from valuegraph.graph.questions import PathAnswer, Questions


def traced(graph, source: str, target: str, limit: int = 10, include_cancelled: bool = False) -> list[PathAnswer]:
    """The value paths from ``source`` to ``target`` with their records, as `valuegraph trace` shows them."""
    questions = Questions(graph)
    return questions.path_records(questions.trace(source, target, limit, include_cancelled))
