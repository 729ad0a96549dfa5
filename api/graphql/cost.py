"""The size of a GraphQL document, measured before anything else looks at it.

A fragment may spread another twice, which spreads the next twice, and so on: twenty such fragments
make a 250-byte document that selects a million fields. Any check that expands every spread (as
strawberry's depth and alias limiters do, and graphql-core's validation rules would on the expanded
selections) takes time doubling with each fragment. Here each fragment is measured once, from its own
selections and the measures of the fragments it spreads, so a document costs time in proportion to
its text; the limits are then checked against what the document would select if expanded.

Before that, a scan of the document's tokens (``fields_at_least``) refuses one that selects too many
fields whatever its fields are, without the tens of milliseconds its parse would take.

Depth is counted as strawberry's QueryDepthLimiter counts it, so that ``max_query_depth`` keeps its
meaning: a field with a selection set adds a level, a leaf field adds none, and introspection fields
(``__schema``, ``__type``, ``__typename``) are not counted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from graphql.language import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
)

from valuegraph.graph.errors import QueryTooComplex


@dataclass(frozen=True, slots=True)
class Size:
    """What a selection set selects once every spread in it is expanded."""

    depth: int = 0
    fields: int = 0
    aliases: int = 0

    def beside(self, other: Size) -> Size:
        """Two selections side by side."""
        return Size(max(self.depth, other.depth), self.fields + other.fields, self.aliases + other.aliases)


NOTHING = Size()


@dataclass(frozen=True, slots=True)
class Limits:
    max_depth: int
    max_aliases: int
    max_fields: int


class FragmentCycle(Exception):
    """A fragment spreads itself, directly or through others (a document the spec calls invalid)."""

    def __init__(self, names: list[str]) -> None:
        self.names = names
        super().__init__(" -> ".join(names))


def _spreads(selection_set: SelectionSetNode | None) -> list[str]:
    """The names of the fragments spread anywhere inside a selection set (in order, repeats kept)."""
    found: list[str] = []
    stack = [selection_set] if selection_set else []
    while stack:
        for selection in stack.pop().selections:
            if isinstance(selection, FragmentSpreadNode):
                found.append(selection.name.value)
            elif selection.selection_set is not None:
                stack.append(selection.selection_set)
    return found


def _measure(selection_set: SelectionSetNode, fragments: dict[str, Size]) -> Size:
    """The size of a selection set, given the sizes of the fragments it spreads (an unknown fragment
    counts as nothing here: validation reports it)."""
    size = NOTHING
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            inner = _measure(selection.selection_set, fragments) if selection.selection_set else NOTHING
            counted = selection.selection_set is not None and not selection.name.value.startswith("__")
            size = size.beside(Size(inner.depth + 1 if counted else 0, inner.fields + 1,
                                    inner.aliases + (selection.alias is not None)))
        elif isinstance(selection, InlineFragmentNode):
            size = size.beside(_measure(selection.selection_set, fragments))
        elif isinstance(selection, FragmentSpreadNode):
            size = size.beside(fragments.get(selection.name.value, NOTHING))
    return size


def fragment_sizes(definitions: dict[str, FragmentDefinitionNode]) -> dict[str, Size]:
    """The size of every fragment, each measured once, those it spreads first. Iterative (a document may
    chain hundreds of fragments, deeper than Python's recursion limit); FragmentCycle for a cycle."""
    sizes: dict[str, Size] = {}
    spreads = {name: [s for s in dict.fromkeys(_spreads(f.selection_set)) if s in definitions]
               for name, f in definitions.items()}
    for root in definitions:
        if root in sizes:
            continue
        path = [root]  # the fragments being measured, each spreading the next
        on_path = {root}
        pending = [iter(spreads[root])]
        while path:
            name = next((n for n in pending[-1] if n not in sizes), None)
            if name is None:  # everything it spreads is measured: measure it
                done = path.pop()
                on_path.discard(done)
                pending.pop()
                sizes[done] = _measure(definitions[done].selection_set, sizes)
            elif name in on_path:
                raise FragmentCycle([*path[path.index(name):], name])
            else:
                path.append(name)
                on_path.add(name)
                pending.append(iter(spreads[name]))
    return sizes


def measure(document: DocumentNode) -> dict[str, Size]:
    """The size of each operation of a document (an anonymous one is named ``anonymous``)."""
    definitions = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    sizes = fragment_sizes(definitions)
    return {(d.name.value if d.name else "anonymous"): _measure(d.selection_set, sizes)
            for d in document.definitions if isinstance(d, OperationDefinitionNode)}


def check(document: DocumentNode, limits: Limits) -> None:
    """QueryTooComplex if any operation is deeper than the limit, or the operations together select more
    fields or aliases; FragmentCycle for a fragment that spreads itself."""
    sizes = measure(document)
    for name, size in sizes.items():
        if size.depth > limits.max_depth:
            raise QueryTooComplex(f"the operation '{name}' is {size.depth} levels deep; the most this server "
                                  f"accepts is {limits.max_depth}")
    fields = sum(size.fields for size in sizes.values())
    if fields > limits.max_fields:
        raise QueryTooComplex(f"the document selects {_count(fields)} fields once its fragments are expanded; "
                              f"the most this server accepts is {limits.max_fields}")
    aliases = sum(size.aliases for size in sizes.values())
    if aliases > limits.max_aliases:
        raise QueryTooComplex(f"the document uses {_count(aliases)} aliases once its fragments are expanded; "
                              f"the most this server accepts is {limits.max_aliases}")


def too_many_fields(least: int, limits: Limits) -> QueryTooComplex:
    """The refusal of a document that selects at least ``least`` fields, known from its tokens."""
    return QueryTooComplex(f"the document selects at least {_count(least)} fields once its fragments are "
                           f"expanded; the most this server accepts is {limits.max_fields}")


def _count(n: int) -> str:
    """A count as a caller can read it (2**200 has 61 digits)."""
    return str(n) if n < 10**12 else f"about 10^{len(str(n)) - 1}"


# Before parsing: the parse of a document within the token limit takes tens of milliseconds of pure
# Python, for the doubling fragments as for any other text. Their tokens alone tell what they select at
# the least (every spread of a fragment adds what that fragment selects, and a fragment without spreads
# selects at least one field), so a document that is over the field limit whatever its fields are is
# refused before it is parsed. Anything this scan cannot read is left to the parser and the check above.
_TOKEN = re.compile(r'''
    (?P<ignored>[\s,\ufeff]+|\#[^\n\r]*)
  | (?P<string>"""(?:\\"""|(?!""")[\s\S])*"""|"(?:\\.|[^"\\\n\r])*")
  | (?P<spread>\.\.\.)
  | (?P<name>[_A-Za-z][_0-9A-Za-z]*)
  | (?P<number>-?[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?)
  | (?P<open>[{(\[])
  | (?P<close>[})\]])
  | (?P<punctuator>[!$&:=@|])
''', re.VERBOSE)
OPERATION_KINDS = frozenset({"query", "mutation", "subscription"})
DEFINITION_KINDS = OPERATION_KINDS | {"fragment"}


@dataclass
class Definition:
    kind: str  # query, mutation, subscription or fragment
    name: str | None
    spreads: list[str]


def definitions(text: str) -> list[Definition] | None:
    """The document's definitions with the fragments each spreads, from its tokens; None for a text the
    scan cannot read (the parser will say what is wrong with it)."""
    found: list[Definition] = []
    current: Definition | None = None
    depth, in_body, previous, pending_spread = 0, False, None, False
    position = 0
    for match in _TOKEN.finditer(text):
        if match.start() != position:
            return None  # a character no token starts with
        position = match.end()
        group, value = match.lastgroup, match.group()
        if group == "ignored":
            continue
        if pending_spread:
            if group == "name" and value != "on" and current is not None:
                current.spreads.append(value)
            pending_spread = False
        if depth == 0 and not in_body:
            if group == "name" and previous is None and value in DEFINITION_KINDS:
                current = Definition(value, None, [])
                found.append(current)
            elif group == "name" and current is not None and current.name is None and previous in (
                    "fragment", *OPERATION_KINDS):
                current.name = value
            elif value == "{" and current is None:  # the shorthand: an anonymous query
                current = Definition("query", None, [])
                found.append(current)
        if group == "open":
            if depth == 0 and value == "{":
                in_body = True
            depth += 1
        elif group == "close":
            depth -= 1
            if depth < 0:
                return None
            if depth == 0 and in_body:
                current, in_body, previous = None, False, None
                continue
        elif group == "spread":
            pending_spread = True
        previous = value if depth == 0 and not in_body else previous
    return found if position == len(text) and depth == 0 else None


def fields_at_least(found: list[Definition]) -> int | None:
    """How many fields a document of these definitions selects at the least with its fragments expanded
    (its operations together); None for a fragment cycle."""
    spreads = {d.name: d.spreads for d in found if d.kind == "fragment" and d.name}
    least: dict[str, int] = {}
    for root in spreads:
        path, on_path, pending = [root], {root}, [iter(spreads[root])]
        while path:
            name = next((n for n in pending[-1] if n in spreads and n not in least), None)
            if name is None:
                done = path.pop()
                on_path.discard(done)
                pending.pop()
                least[done] = sum(least.get(n, 0) for n in spreads[done]) if spreads[done] else 1
            elif name in on_path:
                return None
            else:
                path.append(name)
                on_path.add(name)
                pending.append(iter(spreads[name]))
    return sum(least.get(n, 0) for d in found if d.kind != "fragment" for n in d.spreads)


def operation_kind(found: list[Definition], operation_name: str | None) -> str | None:
    """query, mutation or subscription: the kind of the operation a request names (or of its only one);
    None when it is not clear which."""
    operations = [d for d in found if d.kind != "fragment"]
    chosen = [d for d in operations if operation_name is None or d.name == operation_name]
    return chosen[0].kind if len(chosen) == 1 else None
