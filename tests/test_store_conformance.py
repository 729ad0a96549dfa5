"""The store protocol (graph/store.py ``Store``), checked directly on every backend.

One set of checks that memory, Oxigraph and Neo4j must all pass: what a source asserts, batched
records, one transaction per commit (a failing commit leaves nothing), the batch writer, the index's
snapshot, search, sources, relation counts, clearing, conflicts, capabilities, and the loud
``NotImplementedError`` naming the backend where a capability is missing. Where backends differ by
design (persistence, sharing a database between handles) the difference is stated once, in
``TRAITS``, and checked like everything else.

Change sets are built here as the sync planner builds them: ``fresh_*`` names exactly the facts no
source asserted before (read from the store), unless a check says otherwise on purpose.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pytest

from valuegraph.graph import (
    Capability,
    Direction,
    EntityRecord,
    RelationKey,
    RelationRecord,
    Store,
    StoreConflict,
    StoreError,
    open_store,
)
from valuegraph.graph.model import Assertion, ChangeSet, NodeState, RevisionFacts, SyncMode
from valuegraph.schema import vocabulary
from tests.conftest import NEO4J_AUTH, NEO4J_URL, neo4j_store, store_url


@dataclass(frozen=True)
class Traits:
    """What a backend is meant to differ in."""

    capabilities: frozenset[Capability]
    #: a second handle on the same store: "concurrent" (sees the first's writes), "exclusive" (refused
    #: while the first is open) or "private" (every handle is a store of its own)
    second_handle: str
    #: whether ``index_cache`` names a place and the store's identity
    index_cache: bool
    #: a batch's commit after another commit that came while the batch was open: "renumbers" (the
    #: batch takes the next number at its commit) or "refused" (its facts carry the number it took when
    #: it began: StoreConflict, and nothing of the batch is written)
    overtaken_batch: str
    #: whether a relation asserted without properties names the sync that asserted it
    propertyless_relation_seq: bool


TRAITS = {
    "memory": Traits(frozenset({Capability.SPARQL, Capability.BULK_LOAD}), "private", index_cache=False,
                     overtaken_batch="refused", propertyless_relation_seq=False),
    "oxigraph": Traits(frozenset({Capability.SPARQL, Capability.PERSISTENT, Capability.BULK_LOAD}), "exclusive",
                       index_cache=True, overtaken_batch="refused", propertyless_relation_seq=False),
    "neo4j": Traits(frozenset({Capability.PERSISTENT, Capability.CYPHER, Capability.SHARED}), "concurrent",
                    index_cache=True, overtaken_batch="renumbers", propertyless_relation_seq=True),
}

#: the methods that stand for a capability, with a harmless call
CAPABILITY_CALLS = {
    Capability.SPARQL: lambda store: store.sparql("SELECT ?s WHERE { ?s ?p ?o } LIMIT 1"),
    Capability.CYPHER: lambda store: store.cypher("RETURN 1 AS one"),
}

#: every kind of value a property may hold, each of which must come back as itself (type included)
EVERY_VALUE = {
    "name": "Ünïcode name, with \"quotes\", a\nnewline and a tab\t",
    "budget": 1_500_000,
    "share": 0.25,
    "big": 2**40,
    "negative": -7,
    "whole_float": 3.0,
    "flag": True,
    "off": False,
    "startDate": dt.date(2026, 2, 28),
    "updatedAt": dt.datetime(2026, 3, 1, 9, 30, 15, tzinfo=dt.UTC),
    "empty": "",
}

#: a string no store can hold (a lone surrogate is not Unicode text): a commit carrying it must fail
UNSTORABLE = "\ud800"

RELATION_TYPES = sorted(vocabulary().relations)
TRAVERSED_TYPES = {r.name for r in vocabulary().relations.values() if r.value_chain or r.name == "DEPENDS_ON"}


# ------------------------------------------------------------------ fixtures and helpers
@pytest.fixture
def store(backend, tmp_path) -> Iterable[Store]:
    """An empty store of each backend."""
    opened = neo4j_store() if backend == "neo4j" else open_store(store_url(backend, tmp_path))
    yield opened
    opened.close()


def second_handle(backend: str, tmp_path: Path) -> Store:
    """Another handle on the store the ``store`` fixture opened (nothing cleared)."""
    if backend == "neo4j":
        return open_store(NEO4J_URL, **NEO4J_AUTH)
    return open_store(store_url(backend, tmp_path))


Props = dict[str, object]


def change_set(store: Store, source: str, entities: Iterable[tuple[str, str, Props]] = (),
               relations: Iterable[tuple[RelationKey, Props]] = (), *, drop_entities: Iterable[str] = (),
               drop_relations: Iterable[RelationKey] = ()) -> ChangeSet:
    """A change set with ``fresh_*`` exactly the facts no source asserts in ``store`` now."""
    changes = ChangeSet(source, list(entities), list(drop_entities), list(relations), list(drop_relations))
    ids = [e[0] for e in changes.put_entities]
    keys = [k for k, _ in changes.put_relations]
    known_ids = store.entity_records(ids)
    known_keys = {r.key for r in store.relation_records(keys)} if keys else set()
    changes.fresh_entities = {i for i in ids if i not in known_ids}
    changes.fresh_relations = {k for k in keys if k not in known_keys}
    return changes


def commit(store: Store, source: str, entities=(), relations=(), **drops) -> int:
    return store.commit(change_set(store, source, entities, relations, **drops))


def key(a: str, rel_type: str, b: str) -> RelationKey:
    return RelationKey(a, rel_type, b)


def state_of(store: Store) -> dict:
    """Everything the protocol lets one read of a store, for before/after comparisons."""
    snapshot = store.snapshot()
    ids = [n.id for n in snapshot.nodes]
    records = store.entity_records(ids)
    relations = store.relation_records(touching=ids)
    return {
        "sources": {name: info.get("seq") for name, info in store.sources().items()},
        "nodes": sorted((n.id, n.kind, n.status, n.budget, n.health) for n in snapshot.nodes),
        "edges": snapshot.edges,
        "entities": {i: (r.kind, r.assertions) for i, r in sorted(records.items())},
        "relations": sorted((r.key, sorted(r.assertions.items())) for r in relations),
        "counts": store.relation_counts(),
        "per_source": {s: store.source_state(s) for s in store.sources()},
    }


def assert_empty(store: Store) -> None:
    assert store.sources() == {}
    snapshot = store.snapshot()
    assert (snapshot.nodes, snapshot.edges) == ([], [])
    assert store.relation_counts() == dict.fromkeys(RELATION_TYPES, 0)


PORTFOLIO = [("PRG", "Programme", {"name": "Heat programme"}),
             ("P1", "Project", {"name": "Heat pumps", "status": "active", "budget": 100}),
             ("P2", "Project", {"name": "Insulation", "status": "cancelled", "budget": 50.5, "health": "red"}),
             ("D1", "Deliverable", {"name": "Installed pumps"}),
             ("O1", "Outcome", {"name": "Warmer homes"}),
             ("T1", "Team", {"name": "Install team"})]
LINKS = [(key("P1", "PART_OF", "PRG"), {}),
         (key("P1", "DELIVERS", "D1"), {"weight": 0.5}),
         (key("P2", "DELIVERS", "D1"), {}),
         (key("D1", "ENABLES", "O1"), {"weight": 1.0, "note": "main route"}),
         (key("P2", "DEPENDS_ON", "P1"), {}),
         (key("T1", "OWNS", "D1"), {})]


# ------------------------------------------------------------------ identity and capabilities
def test_the_backend_names_itself_and_states_its_capabilities(store, backend):
    assert store.backend == backend
    assert isinstance(store.capabilities, frozenset)
    assert store.capabilities == TRAITS[backend].capabilities


@pytest.mark.parametrize("capability", sorted(CAPABILITY_CALLS, key=lambda c: c.value))
def test_a_missing_capability_is_a_loud_not_implemented_error_naming_the_backend(store, backend, capability):
    call = CAPABILITY_CALLS[capability]
    if capability in store.capabilities:
        call(store)  # answers, on an empty store
    else:
        with pytest.raises(NotImplementedError, match=rf"\b{backend}\b"):
            call(store)


def test_every_backend_searches_and_clears(store):
    """Search and clearing are no capability: every backend does both."""
    assert store.search("anything") == set()
    store.clear()
    assert_empty(store)


# ------------------------------------------------------------------ reading an empty store
def test_an_empty_store_answers_every_read_with_nothing(store):
    assert_empty(store)
    assert store.entity_records(["P1", "nobody"]) == {}
    assert store.entity_record("P1") is None
    assert store.relation_records([key("P1", "DELIVERS", "D1")], touching=["P1"]) == []
    state = store.source_state("ppm")
    assert (state.entities, state.relations) == ({}, {})
    partial = store.source_state("ppm", ["P1"], [key("P1", "DELIVERS", "D1")])
    assert (partial.entities, partial.relations) == ({}, {})
    assert store.search("heat") == set()


# ------------------------------------------------------------------ commits
def test_a_commit_writes_every_value_type_back_as_itself(store):
    seq = commit(store, "ppm", [("P1", "Project", EVERY_VALUE)],
                 [(key("P1", "DEPENDS_ON", "P1"), {"since": dt.date(2025, 1, 2), "weight": 0.75, "hard": True})])
    record = store.entity_record("P1")
    assert isinstance(record, EntityRecord) and (record.id, record.kind) == ("P1", "Project")
    assert record.assertions == {"ppm": Assertion(seq, EVERY_VALUE)}
    assert {k: type(v) for k, v in record.properties.items()} == {k: type(v) for k, v in EVERY_VALUE.items()}
    (relation,) = store.relation_records([key("P1", "DEPENDS_ON", "P1")])
    assert isinstance(relation, RelationRecord)
    assert relation.assertions == {"ppm": Assertion(seq, {"since": dt.date(2025, 1, 2), "weight": 0.75, "hard": True})}
    assert store.source_state("ppm").entities == {"P1": ("Project", EVERY_VALUE)}


def test_ids_of_any_characters_keep_their_identity(store):
    odd = ["a b/c", "100%/x#y?z=1", "ünï çødé", "slash/", "dot.and~tilde", "colon:id"]
    chain = [key(a, "DEPENDS_ON", b) for a, b in itertools.pairwise(odd)]
    commit(store, "s", [(i, "Project", {"name": i}) for i in odd], [(k, {"weight": 1.0}) for k in chain])
    assert sorted(store.entity_records(odd)) == sorted(odd)
    assert sorted(r.key for r in store.relation_records(touching=odd)) == sorted(chain)
    assert sorted(n.id for n in store.snapshot().nodes) == sorted(odd)
    assert store.snapshot().edges == sorted(chain)
    state = store.source_state("s")
    assert sorted(state.entities) == sorted(odd) and sorted(state.relations) == sorted(chain)
    assert store.search("%/X#") == {"100%/x#y?z=1"}


def test_sequence_numbers_grow_with_every_commit_and_sources_record_each_ones_last(store):
    first = commit(store, "alpha", [("G1", "Goal", {"name": "one"})])
    second = commit(store, "beta", [("G2", "Goal", {"name": "two"})])
    third = commit(store, "alpha", [("G1", "Goal", {"name": "one again"})])
    assert first < second < third
    sources = store.sources()
    assert list(sources) == ["alpha", "beta"]
    assert (sources["alpha"]["seq"], sources["beta"]["seq"]) == (third, second)
    for info in sources.values():
        last = dt.datetime.fromisoformat(info["lastSync"])
        assert last.tzinfo is not None and abs(dt.datetime.now(dt.UTC) - last) < dt.timedelta(minutes=5)


def test_each_source_keeps_its_own_assertion_and_the_latest_sync_wins(store):
    a = commit(store, "plan", [("P1", "Project", {"name": "Old name", "budget": 10, "status": "active"})])
    b = commit(store, "ppm", [("P1", "Project", {"name": "New name", "health": "amber"})])
    record = store.entity_record("P1")
    assert record.assertions == {"plan": Assertion(a, {"name": "Old name", "budget": 10, "status": "active"}),
                                 "ppm": Assertion(b, {"name": "New name", "health": "amber"})}
    assert record.sources == ["plan", "ppm"]
    assert record.properties == {"name": "New name", "budget": 10, "status": "active", "health": "amber"}
    c = commit(store, "plan", [("P1", "Project", {"name": "Plan's name", "budget": 12, "status": "active"})])
    assert store.entity_record("P1").assertions["plan"].seq == c
    assert store.entity_record("P1").properties["name"] == "Plan's name"
    # each source's state holds its own values only
    assert store.source_state("ppm").entities == {"P1": ("Project", {"name": "New name", "health": "amber"})}


def test_a_put_replaces_the_sources_whole_assertion(store):
    commit(store, "ppm", PORTFOLIO, LINKS)
    seq = commit(store, "ppm", [("P1", "Project", {"name": "Heat pumps"})],
                 [(key("D1", "ENABLES", "O1"), {"weight": 2.0})])
    assert store.entity_record("P1").assertions == {"ppm": Assertion(seq, {"name": "Heat pumps"})}
    (enables,) = store.relation_records([key("D1", "ENABLES", "O1")])
    assert enables.assertions == {"ppm": Assertion(seq, {"weight": 2.0})}
    commit(store, "ppm", relations=[(key("D1", "ENABLES", "O1"), {})])
    (enables,) = store.relation_records([key("D1", "ENABLES", "O1")])
    assert enables.properties == {} and enables.sources == ["ppm"]
    assert [n.budget for n in store.snapshot().nodes if n.id == "P1"] == [None]


def test_dropping_a_sources_assertion_keeps_the_other_sources_and_the_last_one_removes_the_fact(store):
    link = key("P1", "DELIVERS", "D1")
    commit(store, "plan", [("P1", "Project", {"name": "Plan name", "budget": 5}), ("D1", "Deliverable", {"name": "D"})],
           [(link, {"weight": 0.1})])
    seq = commit(store, "ppm", [("P1", "Project", {"name": "PPM name"})], [(link, {"weight": 0.9})])
    commit(store, "plan", drop_relations=[link])
    (record,) = store.relation_records([link])
    assert record.assertions == {"ppm": Assertion(seq, {"weight": 0.9})}
    commit(store, "ppm", drop_entities=["P1"], drop_relations=[link])
    assert store.relation_records([link]) == [] and store.snapshot().edges == []
    assert store.entity_record("P1").assertions == {"plan": store.entity_record("P1").assertions["plan"]}
    assert store.entity_record("P1").properties == {"name": "Plan name", "budget": 5}
    commit(store, "plan", drop_entities=["P1"])
    assert store.entity_record("P1") is None
    assert sorted(n.id for n in store.snapshot().nodes) == ["D1"]
    assert store.search("name") == set()
    assert "P1" not in store.source_state("plan").entities and "P1" not in store.source_state("ppm").entities


# ------------------------------------------------------------------ batched reads
def test_source_state_whole_and_in_part_holds_only_that_sources_facts(store):
    commit(store, "ppm", PORTFOLIO, LINKS)
    commit(store, "plan", [("G1", "Goal", {"name": "Net zero"}), ("O1", "Outcome", {"name": "Plan's outcome"})],
           [(key("O1", "CONTRIBUTES_TO", "G1"), {"weight": 1.0})])
    whole = store.source_state("plan")
    assert whole.entities == {"G1": ("Goal", {"name": "Net zero"}), "O1": ("Outcome", {"name": "Plan's outcome"})}
    assert whole.relations == {key("O1", "CONTRIBUTES_TO", "G1"): {"weight": 1.0}}
    ppm = store.source_state("ppm")
    assert ppm.entities == {i: (kind, props) for i, kind, props in PORTFOLIO}
    assert ppm.relations == dict(LINKS)
    asked_keys = [key("P1", "DELIVERS", "D1"), key("O1", "CONTRIBUTES_TO", "G1"), key("P9", "DELIVERS", "D1")]
    part = store.source_state("ppm", ["P1", "G1", "nobody"], asked_keys)
    assert part.entities == {"P1": ("Project", PORTFOLIO[1][2])}
    assert part.relations == {key("P1", "DELIVERS", "D1"): {"weight": 0.5}}
    only_ids = store.source_state("plan", ["O1"])
    assert (only_ids.entities, only_ids.relations) == ({"O1": ("Outcome", {"name": "Plan's outcome"})}, {})
    only_keys = store.source_state("plan", relation_keys=[key("O1", "CONTRIBUTES_TO", "G1")])
    assert (only_keys.entities, only_keys.relations) == ({}, {key("O1", "CONTRIBUTES_TO", "G1"): {"weight": 1.0}})


def test_relation_records_by_key_and_by_touching_entity_in_each_direction(store):
    seq = commit(store, "ppm", PORTFOLIO, LINKS)
    also = commit(store, "plan", [("D1", "Deliverable", {"name": "Pumps"})],
                  [(key("D1", "ENABLES", "O1"), {"weight": 0.4})])

    def keys_of(records: list[RelationRecord]) -> list[RelationKey]:
        found = [r.key for r in records]
        assert len(found) == len(set(found)), "a relation comes back once"
        return sorted(found)

    assert keys_of(store.relation_records(touching=["D1"], direction=Direction.OUT)) == [key("D1", "ENABLES", "O1")]
    assert keys_of(store.relation_records(touching=["D1"], direction=Direction.IN)) == sorted(
        [key("P1", "DELIVERS", "D1"), key("P2", "DELIVERS", "D1"), key("T1", "OWNS", "D1")])
    assert keys_of(store.relation_records(touching=["D1"])) == sorted(
        [key("D1", "ENABLES", "O1"), key("P1", "DELIVERS", "D1"), key("P2", "DELIVERS", "D1"), key("T1", "OWNS", "D1")])
    assert keys_of(store.relation_records(touching=["P1", "P2"], direction=Direction.OUT)) == sorted(
        [key("P1", "PART_OF", "PRG"), key("P1", "DELIVERS", "D1"), key("P2", "DELIVERS", "D1"),
         key("P2", "DEPENDS_ON", "P1")])
    asked = [key("P1", "DELIVERS", "D1"), key("P1", "DELIVERS", "O1"), key("D1", "ENABLES", "O1")]
    by_key = store.relation_records(asked, touching=["O1"], direction=Direction.IN)
    assert keys_of(by_key) == [key("D1", "ENABLES", "O1"), key("P1", "DELIVERS", "D1")]
    enables = next(r for r in by_key if r.key == key("D1", "ENABLES", "O1"))
    assert enables.assertions == {"ppm": Assertion(seq, {"weight": 1.0, "note": "main route"}),
                                  "plan": Assertion(also, {"weight": 0.4})}
    assert enables.properties == {"weight": 0.4, "note": "main route"}
    assert store.relation_records(touching=["nobody"]) == []


def test_a_relation_without_properties_carries_the_sync_that_asserted_it(store, backend):
    """An assertion names the sync that last changed it (model.Assertion). The embedded store keeps a
    relation's sync number with its properties only (a relation without any is one quad, for bulk loads'
    sake) and answers 0: harmless for answers (the number only orders properties), but not the model's."""
    seq = commit(store, "ppm", PORTFOLIO[:2], [(key("P1", "PART_OF", "PRG"), {})])
    (record,) = store.relation_records([key("P1", "PART_OF", "PRG")])
    expected = seq if TRAITS[backend].propertyless_relation_seq else 0
    assert record.assertions == {"ppm": Assertion(expected, {})}


def test_reads_are_batched_one_call_however_many_ids(store):
    commit(store, "ppm", PORTFOLIO, LINKS)
    ids = [i for i, _, _ in PORTFOLIO] + [f"missing-{n}" for n in range(50)]
    before = store.calls
    assert len(store.entity_records(ids)) == len(PORTFOLIO)
    assert store.calls == before + 1
    before = store.calls
    assert len(store.relation_records([k for k, _ in LINKS], touching=ids)) == len(LINKS)
    assert store.calls == before + 1
    before = store.calls
    store.source_state("ppm", ids, [k for k, _ in LINKS])
    assert store.calls == before + 1


# ------------------------------------------------------------------ what the index and the API read
def test_the_snapshot_holds_every_entity_and_the_traversed_relations_once(store):
    commit(store, "ppm", PORTFOLIO, LINKS)
    commit(store, "status",
           [("P1", "Project", {"status": "paused", "budget": 70}), ("O1", "Outcome", {"health": "green"})],
           [(key("P1", "DELIVERS", "D1"), {})])
    snapshot = store.snapshot()
    assert all(isinstance(n, NodeState) for n in snapshot.nodes)
    assert sorted((n.id, n.kind, n.status, n.budget, n.health) for n in snapshot.nodes) == [
        ("D1", "Deliverable", "active", None, None),
        ("O1", "Outcome", "active", None, "green"),
        ("P1", "Project", "paused", 70.0, None),  # the latest sync's values, the budget as a number
        ("P2", "Project", "cancelled", 50.5, "red"),
        ("PRG", "Programme", "active", None, None),
        ("T1", "Team", "active", None, None),
    ]
    # sorted, each relation once however many sources assert it, ownership (no value chain) left out
    assert snapshot.edges == sorted(k for k, _ in LINKS if k.type in TRAVERSED_TYPES)
    assert key("T1", "OWNS", "D1") not in snapshot.edges and key("P2", "DEPENDS_ON", "P1") in snapshot.edges


def test_relation_counts_count_each_relation_once_across_sources(store):
    commit(store, "ppm", PORTFOLIO, LINKS)
    commit(store, "plan", [("D1", "Deliverable", {"name": "Pumps"})], [(key("P1", "DELIVERS", "D1"), {"weight": 0.2})])
    expected = dict.fromkeys(RELATION_TYPES, 0)
    for k, _ in LINKS:
        expected[k.type] += 1
    assert store.relation_counts() == expected


def test_search_finds_ids_by_the_answered_name_ignoring_case(store):
    commit(store, "ppm", PORTFOLIO, LINKS + [(key("P1", "PART_OF", "PRG"), {"name": "Heat link"})])
    assert store.search("HEAT") == {"PRG", "P1"}  # a relation's property named "name" is no entity's name
    assert store.search("pumps") == {"P1", "D1"}
    assert store.search("no such name") == set()
    commit(store, "rename", [("P1", "Project", {"name": "Air source units"})])
    assert store.entity_record("P1").name == "Air source units"
    assert store.search("air SOURCE") == {"P1"}
    # the name the store answers is the latest sync's: the one it replaced no longer finds the entity
    assert store.search("heat pumps") == set()


# ------------------------------------------------------------------ all or nothing
def _a_failing_change_set(store: Store) -> ChangeSet:
    """New facts, a change and a retraction that are fine, then a value no store can hold."""
    changes = change_set(store, "ppm",
                         [("NEW", "Project", {"name": "New project"}), ("P1", "Project", {"name": "Renamed"}),
                          ("P2", "Project", {"name": UNSTORABLE})],
                         [(key("NEW", "DELIVERS", "D1"), {}), (key("P1", "DELIVERS", "D1"), {"weight": 9.0})],
                         drop_entities=["T1"], drop_relations=[key("T1", "OWNS", "D1")])
    return changes


def test_a_failing_commit_writes_nothing_and_uses_no_sequence_number(store):
    last = commit(store, "ppm", PORTFOLIO, LINKS)
    before = state_of(store)
    token = store.index_cache()
    with pytest.raises(Exception):  # noqa: B017 - which error differs by backend; what matters is what is left
        store.commit(_a_failing_change_set(store))
    assert state_of(store) == before
    assert store.index_cache() == token
    assert commit(store, "ppm", [("NEW", "Project", {"name": "New"})]) == last + 1


def test_a_batch_writes_its_change_sets_as_one_sync(store):
    commit(store, "ppm", PORTFOLIO[:2])
    batch = store.batch("ppm")
    batch.add(change_set(store, "ppm", [(f"N{n}", "Project", {"name": f"New {n}", "budget": n}) for n in range(30)]))
    batch.add(change_set(store, "ppm", [("P1", "Project", {"name": "Renamed"})],
                         [(key(f"N{n}", "PART_OF", "PRG"), {"weight": 1.0}) for n in range(30)]))
    seq = batch.commit()
    assert seq == store.sources()["ppm"]["seq"]
    records = store.entity_records([f"N{n}" for n in range(30)] + ["P1"])
    assert len(records) == 31 and {r.assertions["ppm"].seq for r in records.values()} == {seq}
    assert records["P1"].properties == {"name": "Renamed"}
    relations = store.relation_records(touching=["PRG"], direction=Direction.IN)
    assert len(relations) == 30 and all(r.assertions == {"ppm": Assertion(seq, {"weight": 1.0})} for r in relations)
    assert store.relation_counts()["PART_OF"] == 30
    assert commit(store, "ppm", [("P1", "Project", {"name": "Again"})]) == seq + 1


def test_a_discarded_batch_writes_nothing(store):
    commit(store, "ppm", PORTFOLIO, LINKS)
    before = state_of(store)
    batch = store.batch("ppm")
    batch.add(change_set(store, "ppm", [(f"N{n}", "Project", {"name": f"New {n}"}) for n in range(30)]))
    batch.add(change_set(store, "ppm", [("P1", "Project", {"name": "Renamed"})], drop_entities=["T1"],
                         drop_relations=[key("T1", "OWNS", "D1")]))
    batch.discard()
    assert state_of(store) == before


def test_a_failing_batch_commit_writes_nothing(store):
    last = commit(store, "ppm", PORTFOLIO, LINKS)
    before = state_of(store)
    batch = store.batch("ppm")
    batch.add(change_set(store, "ppm", [(f"N{n}", "Project", {"name": f"New {n}"}) for n in range(30)]))
    batch.add(_a_failing_change_set(store))
    with pytest.raises(Exception):  # noqa: B017 - which error differs by backend; what matters is what is left
        batch.commit()
    assert state_of(store) == before
    assert commit(store, "ppm", [("P1", "Project", {"name": "After"})]) == last + 1


def test_a_commit_while_a_batch_is_open_never_shares_its_sequence_number(store, backend):
    commit(store, "ppm", PORTFOLIO[:2])
    batch = store.batch("ppm")
    between = commit(store, "plan", [("G1", "Goal", {"name": "Between"})])
    # read before anything is added: the embedded store loads a batch's new facts while it is open
    before = state_of(store)
    batch.add(change_set(store, "ppm", [("N1", "Project", {"name": "Batched"})]))
    batch.add(change_set(store, "ppm", [("P1", "Project", {"name": "Batched rename"})]))
    if TRAITS[backend].overtaken_batch == "refused":
        with pytest.raises(StoreConflict, match="nothing of the batch was written"):
            batch.commit()
        assert state_of(store) == before
        assert store.entity_record("N1") is None and store.entity_record("P1").name == "Heat pumps"
        return
    batched = batch.commit()
    assert batched > between
    assert store.entity_record("N1").assertions["ppm"].seq == batched
    assert store.sources()["ppm"]["seq"] == batched


# ------------------------------------------------------------------ clearing, persistence, sharing
def test_clear_empties_the_store_and_it_takes_writes_again(store):
    commit(store, "ppm", PORTFOLIO, LINKS)
    commit(store, "plan", [("G1", "Goal", {"name": "Goal"})])
    token = store.index_cache()
    store.clear()
    assert_empty(store)
    assert store.entity_records([i for i, _, _ in PORTFOLIO] + ["G1"]) == {}
    assert store.relation_records([k for k, _ in LINKS], touching=["D1"]) == []
    assert store.search("heat") == set()
    assert store.index_cache() is None or store.index_cache() != token  # a kept index is never taken for it
    seq = commit(store, "ppm", PORTFOLIO[:1])
    assert store.entity_record("PRG").assertions == {"ppm": Assertion(seq, {"name": "Heat programme"})}
    assert list(store.sources()) == ["ppm"]


def test_the_index_cache_names_the_store_whatever_its_revision(store, backend):
    """The kept index's file records its own revision (compared with ``current_revision`` when it is read):
    the identity is the store's, through every write, and only the store's."""
    if not TRAITS[backend].index_cache:
        assert store.index_cache() is None
        return
    place, first = store.index_cache()
    assert isinstance(place, Path)
    commit(store, "ppm", PORTFOLIO[:1])
    second = store.index_cache()
    batch = store.batch("ppm")
    batch.add(change_set(store, "ppm", PORTFOLIO[1:2]))
    batch.commit()
    assert store.index_cache() == second == (place, first)
    store.clear()
    assert store.index_cache()[1] != first


def test_a_persistent_store_holds_its_writes_for_the_next_handle(backend, tmp_path):
    first = neo4j_store() if backend == "neo4j" else open_store(store_url(backend, tmp_path))
    seq = commit(first, "ppm", PORTFOLIO, LINKS)
    before, token = state_of(first), first.index_cache()
    first.close()
    if Capability.PERSISTENT not in TRAITS[backend].capabilities:
        return  # nothing to hold: a second handle is a store of its own (checked below)
    with second_handle(backend, tmp_path) as reopened:
        assert state_of(reopened) == before
        assert reopened.index_cache() == token
        assert commit(reopened, "ppm", PORTFOLIO[:1]) == seq + 1


def test_a_second_handle_sees_the_writes_is_refused_or_is_a_store_of_its_own(store, backend, tmp_path):
    commit(store, "ppm", PORTFOLIO[:2])
    kind = TRAITS[backend].second_handle
    if kind == "exclusive":
        with pytest.raises(StoreError):
            second_handle(backend, tmp_path)
        return
    other = second_handle(backend, tmp_path)
    try:
        if kind == "private":
            assert_empty(other)
        else:
            assert other.entity_record("P1") == store.entity_record("P1")
            seq = commit(other, "plan", [("G1", "Goal", {"name": "From the other handle"})])
            assert store.entity_record("G1").assertions == {"plan": Assertion(seq, {"name": "From the other handle"})}
    finally:
        other.close()


def test_a_commit_that_takes_anothers_write_for_new_is_a_conflict_and_writes_nothing(store, backend, tmp_path):
    """Where handles share a store, a change set planned before another handle's write (it calls an
    entity fresh that now exists) is refused whole with StoreConflict."""
    if TRAITS[backend].second_handle != "concurrent":
        pytest.skip(f"the {backend} store has no second writer: {TRAITS[backend].second_handle} handles")
    commit(store, "ppm", PORTFOLIO[:2])
    stale = ChangeSet("plan", [("G1", "Goal", {"name": "Goal"}), ("P1", "Project", {"name": "Mine"})],
                      put_relations=[(key("P1", "CONTRIBUTES_TO", "G1"), {})],
                      fresh_entities={"G1", "P1"}, fresh_relations={key("P1", "CONTRIBUTES_TO", "G1")})
    other = second_handle(backend, tmp_path)
    try:
        before = state_of(store)
        with pytest.raises(StoreConflict):
            other.commit(stale)
        assert state_of(store) == before
    finally:
        other.close()


# ------------------------------------------------------------------ history
def with_history(changes: ChangeSet, author: str = "ann", after: int | None = None) -> ChangeSet:
    """The change set with change groups (one per entity it puts or drops) and a revision's facts."""
    groups = [(e, {"k": kind, "e": 1, "a": props}) for e, kind, props in changes.put_entities]
    groups += [(e, {"k": "Project", "e": -1, "b": {}}) for e in changes.drop_entities]
    for k, props in changes.put_relations:
        groups.append((k.from_id, {"k": "Project", "r": [[k.type, k.to_id, 1, None, props]]}))
    changes.history = groups
    changes.revision = RevisionFacts(SyncMode.MERGE, author, len(changes.put_entities), 0, len(changes.drop_entities))
    changes.after_revision = after
    return changes


def test_a_commit_writes_its_revision_and_change_groups_with_its_facts(store):
    first = store.commit(with_history(change_set(store, "ppm", PORTFOLIO, LINKS), after=0))
    second = store.commit(with_history(change_set(store, "ppm", [("P1", "Project", EVERY_VALUE)]), "bob", after=first))
    assert (first, second) == (1, 2) and store.current_revision() == 2
    revisions = store.revisions([0, 1, 2, 3])
    assert sorted(revisions) == [1, 2]
    assert (revisions[2].source, revisions[2].author, revisions[2].mode, revisions[2].created) == ("ppm", "bob", SyncMode.MERGE, 1)
    assert revisions[1].committed_at <= revisions[2].committed_at
    assert store.revision_entities(1) == sorted({e for e, _, _ in PORTFOLIO})
    groups = store.change_groups([(2, "P1"), (1, "P1"), (2, "PRG")])
    assert sorted(groups) == [(1, "P1"), (2, "P1")]
    assert groups[(2, "P1")] == {"k": "Project", "e": 1, "a": EVERY_VALUE}  # every value type back as itself
    # the groups one revision wrote for one entity read as one
    assert sorted(r[1] for r in groups[(1, "P1")]["r"]) == ["D1", "PRG"] and groups[(1, "P1")]["e"] == 1
    history = store.entity_changes(["P1", "T1", "nobody"])
    assert [n for n, _ in history["P1"]] == [1, 2] and [n for n, _ in history["T1"]] == [1]
    assert "nobody" not in history
    assert [n for n, _ in store.entity_changes(["P1"], up_to=1)["P1"]] == [1]


def test_a_change_set_planned_on_an_older_revision_is_refused_whole(store):
    store.commit(with_history(change_set(store, "ppm", PORTFOLIO, LINKS), after=0))
    before = state_of(store)
    with pytest.raises(StoreConflict, match="planned against revision 0"):
        store.commit(with_history(change_set(store, "ppm", [("NEW", "Project", {"name": "N"})]), after=0))
    batch = store.batch("ppm")
    batch.add(with_history(change_set(store, "ppm", [(f"N{n}", "Project", {"name": "N"}) for n in range(30)])))
    batch.rest.revision = RevisionFacts(SyncMode.MERGE, "ann", 30, 0, 0)
    batch.rest.after_revision = 0
    with pytest.raises(StoreConflict):
        batch.commit()
    assert state_of(store) == before
    assert store.current_revision() == 1 and sorted(store.revisions([1, 2])) == [1]
    assert store.entity_changes(["NEW", "N0"]) == {}


def test_a_failing_commit_writes_no_revision(store):
    store.commit(with_history(change_set(store, "ppm", PORTFOLIO, LINKS)))
    with pytest.raises(Exception):  # noqa: B017 - which error differs by backend
        store.commit(with_history(_a_failing_change_set(store)))
    assert store.current_revision() == 1 and sorted(store.revisions([1, 2])) == [1]
    assert [n for n, _ in store.entity_changes(["P1"])["P1"]] == [1]


def test_a_batch_is_one_revision_with_every_parts_groups(store):
    batch = store.batch("ppm")
    batch.add(with_history(change_set(store, "ppm", [(f"N{n}", "Project", {"name": f"N{n}"}) for n in range(30)])))
    batch.add(with_history(change_set(store, "ppm", [], [(key("N1", "DEPENDS_ON", "N0"), {})])))
    batch.rest.revision = RevisionFacts(SyncMode.MERGE, "ann", 31, 0, 0)
    batch.rest.after_revision = 0
    assert batch.commit() == 1
    assert store.revision_entities(1) == sorted(f"N{n}" for n in range(30))
    assert store.change_groups([(1, "N1")])[(1, "N1")] == {"k": "Project", "e": 1, "a": {"name": "N1"},
                                                            "r": [["DEPENDS_ON", "N0", 1, None, {}]]}
    assert store.revisions([1])[1].created == 31


def test_compacting_history_keeps_one_snapshot_group_per_entity(store):
    store.commit(with_history(change_set(store, "ppm", PORTFOLIO, LINKS)))
    store.commit(with_history(change_set(store, "ppm", [("P1", "Project", {"name": "Again"})])))
    store.commit(with_history(change_set(store, "ppm", [("P2", "Project", {"name": "Later"})])))
    assert store.history_start() == 0
    snapshot = {"k": "Project", "s": {"ppm": [2, {"name": "Again"}]}, "rs": []}
    store.compact_history(2, ["P1", "PRG"], [("P1", snapshot)])
    assert store.history_start() == 2
    kept = store.entity_changes(["P1", "PRG", "P2"])
    assert sorted(kept) == ["P1", "P2"] and kept["P1"] == [(2, snapshot)]
    assert [n for n, _ in kept["P2"]] == [1, 3]  # not compacted: untouched
    assert store.revision_entities(1) == [] and store.revision_entities(3) == ["P2"]
    assert sorted(store.revisions([1, 2, 3])) == [1, 2, 3]  # the records stay


def test_clear_forgets_the_history(store):
    store.commit(with_history(change_set(store, "ppm", PORTFOLIO, LINKS)))
    store.clear()
    assert store.current_revision() == 0 and store.revisions([1]) == {} and store.entity_changes(["P1"]) == {}
    assert store.history_start() == 0
    assert store.commit(with_history(change_set(store, "ppm", PORTFOLIO[:1]))) == 1
