"""Joining documents (loader parts, or several files of one source) and change sets."""

from valuegraph.graph.model import ChangeSet, Document, Entity, Relation, RelationKey, SyncError, join_documents


def _doc(origin: str, n: int, source: str | None = "ppm") -> Document:
    return Document(
        source,
        entities=[Entity(f"P{n}", "Project", {"name": f"P{n}"}, f"{origin}:{n}")],
        relations=[Relation(RelationKey(f"P{n}", "DELIVERS", "O1"))],
        origin=origin,
        errors=[SyncError(f"{origin}:{n}", "bad")],
        unresolved={f"X{n}"},
        warnings=[SyncError(origin, f"left out {n}")],
        left_out={"view": n, f"only {n}": 1},
    )


def test_joined_parts_keep_everything_of_every_part_and_leave_the_parts_as_they_were():
    a, b = _doc("a.csv", 1), _doc("a.csv", 2)
    joined = join_documents([a, b])
    assert [e.id for e in joined.entities] == ["P1", "P2"] and len(joined.relations) == 2
    assert [e.location for e in joined.errors] == ["a.csv:1", "a.csv:2"] and len(joined.warnings) == 2
    assert joined.unresolved == {"X1", "X2"} and joined.left_out == {"view": 3, "only 1": 1, "only 2": 1}
    assert joined.source == "ppm" and joined.origin == "a.csv"
    assert len(a.entities) == len(b.entities) == 1 and a.left_out == {"view": 1, "only 1": 1} and a.unresolved == {"X1"}


def test_documents_of_one_source_joined_name_every_origin_once_and_take_the_given_source():
    joined = join_documents([_doc("a.json", 1, None), _doc("b.json", 2, None), _doc("a.json", 3, None)], "erp")
    assert joined.source == "erp" and joined.origin == "a.json, b.json" and len(joined.entities) == 3
    assert join_documents([]).entities == [] and join_documents([], "erp").source == "erp"


def test_change_sets_of_one_source_merge_every_put_drop_and_fresh_fact():
    key = RelationKey("A", "DELIVERS", "B")
    first = ChangeSet("s", put_entities=[("A", "Project", {})], drop_relations=[key], fresh_entities={"A"})
    second = ChangeSet("s", put_relations=[(key, {})], drop_entities=["C"], fresh_relations={key}, fresh_entities={"D"})
    first.merge(second)
    assert first.put_entities == [("A", "Project", {})] and first.put_relations == [(key, {})]
    assert first.drop_entities == ["C"] and first.drop_relations == [key]
    assert first.fresh_entities == {"A", "D"} and first.fresh_relations == {key} and first.source == "s"
