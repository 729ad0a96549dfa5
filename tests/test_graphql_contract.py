"""The served schema contains the core contract without breaking or changing a default."""

from __future__ import annotations

from graphql import build_schema, find_breaking_changes, find_dangerous_changes

from valuegraph.api.graphql.schema import create_schema
from tests.conftest import SHARED_DATA

CORE = SHARED_DATA.parent / "contract" / "core.graphql"


def test_schema_is_compatible_with_the_core_contract():
    core = build_schema(CORE.read_text())
    ours = create_schema()._schema
    assert find_breaking_changes(core, ours) == []
    dangerous = find_dangerous_changes(core, ours)
    # additions the contract expects ("the full schema adds typed objects per kind") are fine;
    # anything else (a changed default, a changed argument) is not
    allowed = {"TYPE_ADDED_TO_UNION", "VALUE_ADDED_TO_ENUM", "IMPLEMENTED_INTERFACE_ADDED", "OPTIONAL_ARG_ADDED"}
    assert [c for c in dangerous if c.type.name not in allowed] == []


def test_the_published_sdl_is_current():
    from valuegraph.api.graphql.sdl import sdl
    from tests.conftest import ROOT

    published = (ROOT / "schema" / "valuegraph.graphql").read_text(encoding="utf-8")
    assert published == sdl(), "run `make schema` to regenerate schema/valuegraph.graphql"
