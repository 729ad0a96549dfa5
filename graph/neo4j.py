"""The Neo4j backend (``neo4j://…``, ``bolt://…``): for users who outgrow one machine.

The graph model is the contract's: nodes ``:Entity:<Kind>`` with camelCase
properties, relationship types exactly the relation types. Provenance per
source lives on each node and relationship (``sources``, ``_assertions``). One
driver per store; every access goes through ``execute_read`` /
``execute_write`` with small transaction functions and parameters only;
writes are ``UNWIND $rows … MERGE`` batches, one transaction per sync.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import unquote, urlsplit, urlunsplit

import neo4j
import orjson
from neo4j.exceptions import AuthError, ConstraintError, Neo4jError, ServiceUnavailable, SessionExpired

# CypherError is kept importable from here, where it used to live
from valuegraph.graph import changes as history
from valuegraph.graph.errors import CypherError, StoreConflict, StoreError, StoreUnavailable
from valuegraph.graph import crosswalk
from valuegraph.graph.model import (Assertion, ChangeSet, EntityRecord, NodeState, RelationKey, RelationRecord,
                                    Snapshot, SourceState, resolve)
from valuegraph.graph.neo4j_terms import ASSERTIONS, StoredAssertions, dump_assertions, from_neo4j, load_assertions
from valuegraph.graph.precedence import NO_PRECEDENCE, Precedence
from valuegraph.graph.store import Capability, Direction, Store, index_cache_folder
from valuegraph.schema import neo4j_statements, vocabulary

_RESERVED = {"id", "kind", "sources", ASSERTIONS}
# relationships by (from, type, to) keys: seek the start node first, then expand (the planner otherwise may
# scan the whole id index once per key)
_KEYED = ("UNWIND $keys AS k MATCH (a:Entity {id: k[0]}) USING INDEX a:Entity(id) WITH a, k MATCH (a)-[r]->(b:Entity) "
          "WHERE b.id = k[2] AND type(r) = k[1]")


#: how many ids (or relation keys) one gathered statement is given: the server holds its rows in memory at once
GATHERED_PER_STATEMENT = 20_000


def _gathered(tx, statement: str, ids: list | None = None, keys: list | None = None) -> list[list]:
    """The rows of ``statement`` (each one list, returned ``AS row``) for ``$ids`` and ``$keys``, gathered by
    the server into one record per statement: the driver handles every record it receives in Python, so
    thousands of rows cost it several times what one record holding them does. Many ids or keys are asked
    in statements of ``GATHERED_PER_STATEMENT``, in the one transaction."""
    ids, keys = ids or [], keys or []
    wrapped = f"CALL () {{ {statement} }} RETURN collect(row)"
    step = GATHERED_PER_STATEMENT
    if len(ids) + len(keys) <= step:
        return tx.run(wrapped, ids=ids, keys=keys).single()[0]
    rows: list[list] = []
    for start in range(0, len(keys), step):
        rows += tx.run(wrapped, ids=[], keys=keys[start:start + step]).single()[0]
    for start in range(0, len(ids), step):
        rows += tx.run(wrapped, ids=ids[start:start + step], keys=[]).single()[0]
    return rows


def _unavailable(url: str, exc: Exception) -> StoreUnavailable:
    return StoreUnavailable(f"the neo4j store at {url} does not answer: {exc}")


class Neo4jStore(Store):
    backend = "neo4j"
    capabilities = frozenset({Capability.PERSISTENT, Capability.CYPHER, Capability.SHARED})

    def __init__(self, url: str, user: str | None = None, password: str | None = None,
                 database: str | None = None, *, precedence: Precedence | None = None,
                 index_cache: str | None = None) -> None:
        """``precedence``: the rules to resolve nodes by (None: those the store's nodes were resolved by, as
        it recorded them, so that opening a store from a notebook or a script changes nothing).
        ``index_cache``: VALUEGRAPH_INDEX_CACHE (see ``index_cache_folder``; unset: the user's cache folder)."""
        parts = urlsplit(url)
        user = unquote(parts.username) if parts.username else user
        password = unquote(parts.password) if parts.password else password
        netloc = parts.hostname + (f":{parts.port}" if parts.port else "")
        self.url = urlunsplit((parts.scheme, netloc, "", "", ""))  # never the password
        self.database = database or (parts.path.strip("/") or None) or "neo4j"
        self._index_folder = index_cache_folder(index_cache, None)
        self._driver = neo4j.GraphDatabase.driver(
            self.url, auth=(user or "neo4j", password or ""), connection_timeout=5, max_transaction_retry_time=2,
            notifications_min_severity="OFF")
        vocab = vocabulary()
        self._traversed = [r.name for r in vocab.relations.values() if r.value_chain or r.name == "DEPENDS_ON"]
        self.precedence = precedence or NO_PRECEDENCE
        self._given_precedence = precedence
        self.calls = 0
        self._ready = False
        try:
            self.ensure_schema()
        except StoreUnavailable:
            pass  # the server may come later; every call tries again

    # ------------------------------------------------------------ plumbing
    def ensure_schema(self) -> None:
        if self._ready:
            return
        # one read when the schema is there (every open but a database's first), not a write per statement
        present = set(self._run(lambda tx: tx.run("SHOW INDEXES YIELD name RETURN collect(name)").single()[0]))
        for name, statement in neo4j_statements().items():
            if name not in present:
                self._run(lambda tx, s=statement: tx.run(s).consume(), write=True)
        self._apply_precedence()
        self._ready = True

    def _apply_precedence(self) -> None:
        """Nodes keep their answered properties resolved (the contract's graph model): when the store's were
        resolved under other precedence rules than this process's (the file changed), resolve again every
        node that several sources assert (one source's node resolves alike under any rules), then record
        the rules. Each slice is a transaction of its own: an interrupted pass is done again. A store opened
        without rules of its own takes those recorded."""
        rows = self._run(lambda tx: tx.run(
            "MATCH (m:ValuegraphMeta {id: 'store'}) RETURN m.precedence, m.precedenceRules").values())
        digest, recorded = (rows[0][0], rows[0][1]) if rows else (None, None)
        if self._given_precedence is None:
            rules = orjson.loads(recorded) if recorded else {}
            self.precedence = Precedence({k: tuple(v) for k, v in rules.items()}, f"the store at {self.url}")
            return
        if (digest or NO_PRECEDENCE.digest) == self.precedence.digest:
            return
        after = ""
        while True:
            found = self._run(lambda tx: tx.run(
                "MATCH (n:Entity) WHERE n.id > $after AND size(n.sources) > 1 "
                f"RETURN n.id, n.kind, n.{ASSERTIONS} ORDER BY n.id LIMIT 5000", after=after).values())
            if not found:
                break
            rows = [{"id": i, "props": _node_props(i, kind, load_assertions(text), self.precedence)}
                    for i, kind, text in found]
            self._run(lambda tx: tx.run("UNWIND $rows AS row MATCH (n:Entity {id: row.id}) SET n = row.props",
                                        rows=rows).consume(), write=True)
            after = found[-1][0]
        self._run(lambda tx: tx.run("MERGE (m:ValuegraphMeta {id: 'store'}) ON CREATE SET m.seq = 0 "
                                    "SET m.precedence = $digest, m.precedenceRules = $rules",
                                    **_recorded(self.precedence)).consume(), write=True)

    def _run(self, work, write: bool = False, **kwargs):
        with self._reaching():
            with self._driver.session(database=self.database) as session:
                return (session.execute_write if write else session.execute_read)(work, **kwargs)

    @contextlib.contextmanager
    def _reaching(self):
        """Around a use of the server: its absence and a refusal of the credentials as the store's errors."""
        try:
            yield
        except (ServiceUnavailable, SessionExpired, OSError) as exc:
            raise _unavailable(self.url, exc) from exc
        except AuthError as exc:
            raise StoreError(f"the neo4j store at {self.url} refused the credentials: {exc.message}") from exc

    def _call(self, work, write: bool = False, **kwargs):
        self.calls += 1
        self.ensure_schema()
        return self._run(work, write, **kwargs)

    def close(self) -> None:
        self._driver.close()

    # ------------------------------------------------------------ core
    def source_state(self, source, entity_ids=None, relation_keys=None) -> SourceState:
        full = entity_ids is None and relation_keys is None
        ids = None if full else list(entity_ids or ())
        keys = None if full else [list(k) for k in relation_keys or ()]

        def work(tx):
            if full:
                nodes = tx.run("MATCH (n:Entity) WHERE $source IN n.sources RETURN n.id AS id, n.kind AS kind, "
                               f"n.{ASSERTIONS} AS a", source=source).values()
                rels = tx.run("MATCH (a:Entity)-[r]->(b:Entity) WHERE $source IN r.sources "
                              f"RETURN a.id, type(r), b.id, r.{ASSERTIONS}", source=source).values()
            else:
                nodes = tx.run("UNWIND $ids AS id MATCH (n:Entity {id: id}) USING INDEX n:Entity(id) WHERE $source IN n.sources "
                               f"RETURN n.id, n.kind, n.{ASSERTIONS}", ids=ids, source=source).values()
                rels = tx.run(f"{_KEYED} AND $source IN r.sources RETURN a.id, type(r), b.id, r.{ASSERTIONS}",
                              keys=keys, source=source).values()
            return nodes, rels

        nodes, rels = self._call(work)
        state = SourceState()
        for entity_id, kind, text in nodes:
            state.entities[entity_id] = (kind, load_assertions(text)[source].properties)
        for a, rel_type, b, text in rels:
            state.relations[RelationKey(a, rel_type, b)] = load_assertions(text)[source].properties
        return state

    def entity_records(self, ids: Iterable[str]) -> dict[str, EntityRecord]:
        ids = list(dict.fromkeys(ids))
        rows = self._call(_gathered, ids=ids, statement=(
            "UNWIND $ids AS id MATCH (n:Entity {id: id}) USING INDEX n:Entity(id) "
            f"RETURN [n.id, n.kind, n.{ASSERTIONS}] AS row"))
        return {i: EntityRecord(i, kind, load_assertions(text), self.precedence) for i, kind, text in rows}

    def relation_records(self, keys=(), *, touching=(), direction=Direction.BOTH) -> list[RelationRecord]:
        keys = [list(k) for k in keys]
        touching = list(touching)

        # every part in one statement (UNION ALL): one round trip, however many parts are asked
        ret = f"RETURN [a.id, type(r), b.id, r.{ASSERTIONS}] AS row"
        parts = []
        if keys:
            parts.append(f"{_KEYED} {ret}")
        if touching and direction in (Direction.OUT, Direction.BOTH):
            parts.append(f"UNWIND $ids AS id MATCH (a:Entity {{id: id}})-[r]->(b:Entity) USING INDEX a:Entity(id) {ret}")
        if touching and direction in (Direction.IN, Direction.BOTH):
            parts.append(f"UNWIND $ids AS id MATCH (a:Entity)-[r]->(b:Entity {{id: id}}) USING INDEX b:Entity(id) {ret}")
        if not parts:
            return []
        rows = self._call(_gathered, statement=" UNION ALL ".join(parts), keys=keys, ids=touching)
        found: dict[RelationKey, RelationRecord] = {}
        for a, rel_type, b, text in rows:
            key = RelationKey(a, rel_type, b)
            if key not in found:
                found[key] = RelationRecord(key, StoredAssertions(text))
        return list(found.values())

    def commit(self, changes: ChangeSet) -> int:
        try:
            self.ensure_schema()  # the rules to resolve by, when the store's own are taken
            return self._call(_commit, write=True, changes=changes, precedence=self.precedence)
        except _MovedOn as exc:
            raise StoreConflict(str(exc)) from None
        except ConstraintError as exc:
            raise StoreConflict(
                "another process wrote some of this sync's entities since it was planned, so it took them for "
                f"new; nothing was written, and a sync through ValueGraph is planned again ({exc.message})") from exc

    def index_cache(self) -> tuple[Path, str] | None:
        """A file per server and database in the cache folder, marked with the store's identity: a random id
        the store keeps on its meta node (made on first use, and again after ``clear``), so that a file kept
        for another database at the same address, or for this one before it was cleared, is not taken."""
        if self._index_folder is None:
            return None
        store_id = self._call(lambda tx: tx.run(
            "MERGE (m:ValuegraphMeta {id: 'store'}) ON CREATE SET m.seq = 0 "
            "SET m.storeId = coalesce(m.storeId, randomUUID()) RETURN m.storeId").single()[0], write=True)
        rules = f"/{self.precedence.digest}" if self.precedence.rules else ""
        where = hashlib.sha256(f"{self.url}/{self.database}".encode()).hexdigest()[:16]
        return self._index_folder / f"neo4j-{where}.index.npz", f"{store_id}{rules}"

    # ------------------------------------------------------------ history
    def current_revision(self) -> int:
        # asked before a request's answer by every server sharing the store: one auto-commit statement is
        # one round trip to the server, where a transaction function takes two (run, then commit)
        self.calls += 1
        self.ensure_schema()
        with self._reaching():
            with self._driver.session(database=self.database, default_access_mode=neo4j.READ_ACCESS) as session:
                record = session.run("MATCH (m:ValuegraphMeta {id: 'store'}) RETURN m.seq").single()
        return int(record[0]) if record is not None and record[0] is not None else 0

    def revisions(self, numbers: Iterable[int]) -> dict[int, history.Revision]:
        numbers = [n for n in numbers if n >= 1]
        if not numbers:
            return {}
        rows = self._call(lambda tx: tx.run(
            "UNWIND $numbers AS n MATCH (r:ValuegraphRevision {number: n}) RETURN r.number, r.record",
            numbers=numbers).values())
        return {n: history.revision_of(n, orjson.loads(record)) for n, record in rows}

    def revision_entities(self, number: int) -> list[str]:
        rows = self._call(lambda tx: tx.run(
            "MATCH (r:ValuegraphRevision {number: $n}) RETURN r.entities", n=number).values())
        return list(rows[0][0] or []) if rows else []

    def change_groups(self, keys: Iterable[tuple[int, str]]) -> dict[tuple[int, str], dict]:
        keys = [[n, e] for n, e in keys]
        rows = self._call(lambda tx: tx.run(
            "UNWIND $keys AS k MATCH (c:ValuegraphChange {entity: k[1], revision: k[0]}) "
            "RETURN c.revision, c.entity, c.changes", keys=keys).values())
        found: dict[tuple[int, str], list[dict]] = {}
        for n, entity_id, text in rows:
            found.setdefault((n, entity_id), []).append(history.decode(text))
        return {k: history.merged(groups) for k, groups in found.items()}

    def history_start(self) -> int:
        rows = self._call(lambda tx: tx.run("MATCH (m:ValuegraphMeta {id: 'store'}) RETURN m.historyStart").values())
        return int(rows[0][0]) if rows and rows[0][0] is not None else 0

    def compact_history(self, up_to: int, entities: list[str], snapshots: list[tuple[str, dict]]) -> None:
        rows = [{"e": entity_id, "c": history.encode(group)} for entity_id, group in snapshots]

        def work(tx):
            tx.run("UNWIND $ids AS id MATCH (c:ValuegraphChange {entity: id}) WHERE c.revision <= $k DELETE c",
                   ids=entities, k=up_to).consume()
            _unwind(tx, "UNWIND $rows AS row CREATE (:ValuegraphChange {revision: $k, entity: row.e, changes: row.c})",
                    rows, k=up_to)
            tx.run("MATCH (r:ValuegraphRevision) WHERE r.number <= $k SET r.entities = []", k=up_to).consume()
            tx.run("MERGE (m:ValuegraphMeta {id: 'store'}) ON CREATE SET m.seq = 0 SET m.historyStart = $k",
                   k=up_to).consume()

        self._call(work, write=True)

    def entity_changes(self, ids: Iterable[str], up_to: int | None = None) -> dict[str, list[tuple[int, dict]]]:
        ids = list(dict.fromkeys(ids))
        limit = up_to if up_to is not None else 2**62
        rows = self._call(lambda tx: tx.run(
            "UNWIND $ids AS id MATCH (c:ValuegraphChange {entity: id}) WHERE c.revision <= $limit "
            "RETURN c.entity, c.revision, c.changes ORDER BY c.revision", ids=ids, limit=limit).values())
        per_entity: dict[str, dict[int, list[dict]]] = {}
        for entity_id, n, text in rows:
            per_entity.setdefault(entity_id, {}).setdefault(n, []).append(history.decode(text))
        return {e: [(n, history.merged(g)) for n, g in sorted(by_rev.items())] for e, by_rev in per_entity.items()}

    def snapshot(self) -> Snapshot:
        def work(tx):
            # external ids are the properties named externalIds.<system> (graph/crosswalk.py)
            nodes = tx.run("MATCH (n:Entity) RETURN n.id, n.kind, n.status, n.budget, n.health, "
                           "[k IN keys(n) WHERE k STARTS WITH $prefix | [k, n[k]]]", prefix=crosswalk.PREFIX).values()
            edges = tx.run("MATCH (a:Entity)-[r]->(b:Entity) WHERE type(r) IN $types RETURN a.id, type(r), b.id",
                           types=self._traversed).values()
            seq = tx.run("MATCH (m:ValuegraphMeta {id: 'store'}) RETURN m.seq").values()
            return nodes, edges, (seq[0][0] or 0) if seq else 0

        nodes, edges, revision = self._call(work)
        return Snapshot(
            [NodeState.of(i, kind, {**{k: v for k, v in (("status", s), ("budget", b), ("health", h)) if v is not None},
                                    **dict(x)})
             for i, kind, s, b, h, x in nodes],
            sorted(RelationKey(*e) for e in edges),
            revision,
        )

    def shared_entities(self) -> list[str]:
        rows = self._call(lambda tx: tx.run(
            "MATCH (n:Entity) WHERE size(n.sources) > 1 RETURN n.id ORDER BY n.id").values())
        return [r[0] for r in rows]

    def sources(self) -> dict[str, dict]:
        rows = self._call(lambda tx: tx.run(
            "MATCH (s:ValuegraphSource) RETURN s.name, s.lastSync, s.seq ORDER BY s.name").values())
        return {name: {"lastSync": from_neo4j(last).isoformat() if last else None, "seq": seq}
                for name, last, seq in rows}

    def relation_counts(self) -> dict[str, int]:
        rows = dict(self._call(lambda tx: tx.run(
            "MATCH (:Entity)-[r]->(:Entity) RETURN type(r), count(*)").values()))
        return {name: rows.get(name, 0) for name in vocabulary().relations}

    def search(self, text: str) -> set[str]:
        rows = self._call(lambda tx: tx.run(
            "MATCH (n:Entity) WHERE toLower(n.name) CONTAINS toLower($text) RETURN n.id", text=text).values())
        return {r[0] for r in rows}

    def cypher(self, query: str, parameters: dict | None = None, timeout: float = 10.0, max_rows: int = 1000):
        """A read-only query in a READ transaction: (columns, rows, truncated)."""

        @neo4j.unit_of_work(timeout=timeout)
        def work(tx):
            result = tx.run(query, parameters or {})
            columns = list(result.keys())
            rows = []
            for record in result:
                if len(rows) == max_rows:
                    return columns, rows, True
                rows.append([_plain(v) for v in record.values()])
            return columns, rows, False

        try:
            return self._call(work)
        except Neo4jError as exc:
            raise CypherError(exc.message or str(exc)) from exc

    def clear(self) -> None:
        """Delete everything valuegraph stored in this database, history included (tests and re-imports)."""
        def work(tx):
            for label in ("ValuegraphChange", "Entity"):  # the many, in slices: one transaction still
                while tx.run(f"MATCH (n:{label}) WITH n LIMIT 20000 DETACH DELETE n RETURN count(*)").single()[0]:
                    pass
            tx.run("MATCH (n) WHERE n:ValuegraphSource OR n:ValuegraphMeta OR n:ValuegraphRevision "
                   "DETACH DELETE n").consume()
        self._call(work, write=True)
        if self._given_precedence is None:  # the rules taken from the store went with it
            self.precedence = NO_PRECEDENCE


def _plain(value):
    if isinstance(value, neo4j.graph.Node):
        return {"labels": sorted(value.labels), **{k: _plain(v) for k, v in value.items() if k != ASSERTIONS}}
    if isinstance(value, neo4j.graph.Relationship):
        return {"type": value.type, "from": value.start_node.get("id") if value.start_node else None,
                "to": value.end_node.get("id") if value.end_node else None,
                **{k: _plain(v) for k, v in value.items() if k != ASSERTIONS}}
    if isinstance(value, neo4j.graph.Path):
        return {"nodes": [_plain(n) for n in value.nodes], "relationships": [_plain(r) for r in value.relationships]}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    value = from_neo4j(value)
    return value.isoformat() if isinstance(value, (dt.date, dt.datetime, dt.time)) else value


def _node_props(entity_id: str, kind: str, assertions: dict[str, Assertion], precedence: Precedence) -> dict:
    props = {k: v for k, v in resolve(assertions, kind, precedence).items() if k not in _RESERVED}
    return {**props, "id": entity_id, "kind": kind, "sources": sorted(assertions),
            ASSERTIONS: dump_assertions(assertions)}


def _recorded(precedence: Precedence) -> dict:
    """The rules as the store records them: their digest, and themselves (JSON)."""
    rules = orjson.dumps({k: list(v) for k, v in sorted(precedence.rules.items())}).decode()
    return {"digest": precedence.digest, "rules": rules}


def _rel_props(assertions: dict[str, Assertion]) -> dict:
    props = {k: v for k, v in resolve(assertions).items() if k not in _RESERVED}
    return {**props, "sources": sorted(assertions), ASSERTIONS: dump_assertions(assertions)}


_ROWS_PER_STATEMENT = 10_000


def _first_of_fresh(key, fresh: set, created: set) -> bool:
    """Whether a fact is new to the graph and met for the first time in this write (change sets merged
    from the parts of one sync may give a fact twice: the second time it is merged, not created again)."""
    if key not in fresh or key in created:
        return False
    created.add(key)
    return True


def _unwind(tx, query: str, rows: list[dict], **parameters) -> None:
    """Rows written a slice per statement, all in the caller's transaction (so still all or nothing):
    a statement over every row of a large sync holds them all in the server's heap at once."""
    for start in range(0, len(rows), _ROWS_PER_STATEMENT):
        tx.run(query, rows=rows[start:start + _ROWS_PER_STATEMENT], **parameters).consume()


class _MovedOn(Exception):
    """The store committed a revision since the sync was planned (raised inside the transaction: it rolls back)."""


def _commit(tx, changes: ChangeSet, precedence: Precedence) -> int:
    """One sync of one source: read the touched facts, merge this source's assertions, write them back
    resolved by ``precedence``, with the revision's record and change groups.

    The driver runs this function again when it cannot tell whether a commit went through (a connection lost
    while the server committed): a change set already written is then found by its id and not written twice."""
    done = tx.run("MATCH (s:ValuegraphSource {name: $source}) WHERE s.lastCommit = $id RETURN s.seq",
                  source=changes.source, id=changes.commit_id).values()
    if done:
        return int(done[0][0])
    # the rules the written nodes are resolved by are recorded with them (a store cleared since it was
    # opened has none recorded otherwise)
    seq = tx.run("MERGE (m:ValuegraphMeta {id: 'store'}) ON CREATE SET m.seq = 0 "
                 "SET m.seq = m.seq + 1, m.precedence = $digest, m.precedenceRules = $rules RETURN m.seq",
                 **_recorded(precedence)).single()[0]
    if changes.after_revision is not None and changes.after_revision != seq - 1:
        raise _MovedOn(f"the sync of {changes.source!r} was planned against revision {changes.after_revision}, "
                       f"but another process committed revision {seq - 1} meanwhile: nothing was written")
    source = changes.source
    ids = [e[0] for e in changes.put_entities if e[0] not in changes.fresh_entities] + list(changes.drop_entities)
    current = {i: (kind, load_assertions(text)) for i, kind, text in tx.run(
        f"UNWIND $ids AS id MATCH (n:Entity {{id: id}}) USING INDEX n:Entity(id) RETURN n.id, n.kind, n.{ASSERTIONS}",
        ids=ids).values()}
    keys = [list(k) for k, _ in changes.put_relations if k not in changes.fresh_relations]
    keys += [list(k) for k in changes.drop_relations]
    current_rels = {RelationKey(a, t, b): load_assertions(text) for a, t, b, text in tx.run(
        f"{_KEYED} RETURN a.id, type(r), b.id, r.{ASSERTIONS}", keys=keys).values()}

    new_nodes, put_nodes, delete_nodes = [], [], []
    fresh_entities, fresh_relations = changes.fresh_entities, changes.fresh_relations
    created: set = set()
    for entity_id, kind, props in changes.put_entities:
        assertions = current.get(entity_id, (kind, {}))[1]
        assertions[source] = Assertion(seq, props)
        row = {"id": entity_id, "kind": kind, "props": _node_props(entity_id, kind, assertions, precedence)}
        (new_nodes if _first_of_fresh(entity_id, fresh_entities, created) else put_nodes).append(row)
    for entity_id in changes.drop_entities:
        kind, assertions = current.get(entity_id, (None, {}))
        assertions.pop(source, None)
        if assertions:
            put_nodes.append({"id": entity_id, "kind": kind, "props": _node_props(entity_id, kind, assertions, precedence)})
        else:
            delete_nodes.append(entity_id)
    new_rels, put_rels, delete_rels = [], [], []
    for key, props in changes.put_relations:
        assertions = current_rels.get(key, {})
        assertions[source] = Assertion(seq, props)
        row = {"from": key.from_id, "type": key.type, "to": key.to_id, "props": _rel_props(assertions)}
        (new_rels if _first_of_fresh(key, fresh_relations, created) else put_rels).append(row)
    for key in changes.drop_relations:
        assertions = current_rels.get(key, {})
        assertions.pop(source, None)
        row = {"from": key.from_id, "type": key.type, "to": key.to_id, "props": _rel_props(assertions)}
        (put_rels if assertions else delete_rels).append(row)

    # entities new to the graph, and their relations, cannot be there yet: they are created without
    # MERGE's look-up (for a relation, a scan of its start node's relationships); the id constraint
    # still refuses a second node with an id
    _unwind(tx, "UNWIND $rows AS row CREATE (n:Entity) SET n = row.props SET n:$(row.kind)", new_nodes)
    _unwind(tx, "UNWIND $rows AS row MERGE (n:Entity {id: row.id}) SET n = row.props SET n:$(row.kind)", put_nodes)
    _unwind(tx, "UNWIND $rows AS row MATCH (a:Entity {id: row.from}), (b:Entity {id: row.to}) "
                "USING INDEX a:Entity(id) USING INDEX b:Entity(id) "
                "CREATE (a)-[r:$(row.type)]->(b) SET r = row.props", new_rels)
    _unwind(tx, "UNWIND $rows AS row MATCH (a:Entity {id: row.from}), (b:Entity {id: row.to}) "
                "USING INDEX a:Entity(id) USING INDEX b:Entity(id) "
                "MERGE (a)-[r:$(row.type)]->(b) SET r = row.props", put_rels)
    if delete_rels:
        tx.run("UNWIND $rows AS row MATCH (a:Entity {id: row.from})-[r:$(row.type)]->(b:Entity {id: row.to}) "
               "USING INDEX a:Entity(id) DELETE r", rows=delete_rels).consume()
    if delete_nodes:
        tx.run("UNWIND $ids AS id MATCH (n:Entity {id: id}) USING INDEX n:Entity(id) DETACH DELETE n",
               ids=delete_nodes).consume()
    tx.run("MERGE (s:ValuegraphSource {name: $source}) SET s.lastSync = datetime(), s.seq = $seq, s.lastCommit = $id",
           source=source, seq=seq, id=changes.commit_id).consume()
    if changes.revision is not None:
        _write_revision(tx, changes, seq)
    return seq


def _write_revision(tx, changes: ChangeSet, seq: int) -> None:
    previous = tx.run("MATCH (r:ValuegraphRevision {number: $n}) RETURN r.record", n=seq - 1).values()
    before = history.revision_of(seq - 1, orjson.loads(previous[0][0])).committed_at if previous else None
    fields = history.revision_fields(history.commit_time(before), changes.source, changes.revision)
    changed = sorted({entity_id for entity_id, _ in changes.history})
    tx.run("CREATE (:ValuegraphRevision {number: $n, committedAt: datetime($at), record: $record, entities: $ids})",
           n=seq, at=fields["committedAt"], record=orjson.dumps(fields).decode(), ids=changed).consume()
    _unwind(tx, "UNWIND $rows AS row CREATE (:ValuegraphChange {revision: row.r, entity: row.e, changes: row.c})",
            [{"r": seq, "e": entity_id, "c": history.encode(group)} for entity_id, group in changes.history])
