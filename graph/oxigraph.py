"""The embedded backend: Oxigraph, in memory (``memory:``) or on disk (``oxigraph:PATH``).

Each source's assertions live in a named graph of their own
(``https://valuegraph.dev/source/<name>``); the union of those graphs is the
knowledge graph. Every commit is one SPARQL update, which Oxigraph applies in
a single transaction: after a crash the store holds either all of a sync or
none of it.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import os
import queue
import tempfile
import threading
import uuid
from collections import defaultdict
from collections.abc import Iterable, Iterator
from pathlib import Path
from urllib.parse import unquote

import pyoxigraph as ox

import orjson

from valuegraph.graph import changes as history
from valuegraph.graph import crosswalk
from valuegraph.graph import terms as t
from valuegraph.graph.errors import SparqlError, StoreConflict, StoreError
from valuegraph.graph.model import (Assertion, ChangeSet, EntityRecord, NodeState, RelationKey, RelationRecord,
                                    Snapshot, SourceState, Value, resolve)
from valuegraph.graph.precedence import NO_PRECEDENCE, Precedence
from valuegraph.graph.sparql import PREFIXES
from valuegraph.graph.store import Batch, Capability, Direction, Store, index_cache_folder
from valuegraph.schema import vocabulary

_log = logging.getLogger("valuegraph.store")


class OxigraphStore(Store):
    backend = "oxigraph"

    def __init__(self, path: str | Path | None, *, precedence: Precedence = NO_PRECEDENCE,
                 index_cache: str | None = None, read_only: bool = False) -> None:
        """``index_cache``: VALUEGRAPH_INDEX_CACHE (see ``index_cache_folder``; unset: beside the store).
        ``read_only``: open the store as a reader beside the one process that writes to it (a server's
        other workers): it follows the writer's commits by opening the store again when the writer marks
        a new state (``_follow``), and refuses to write."""
        self.path = Path(path) if path is not None else None
        # resolved at read time (nothing resolved is stored): a changed precedence file holds from the start
        self.precedence = precedence
        self.read_only = read_only and path is not None
        self.capabilities = frozenset({Capability.SPARQL} | ({Capability.PERSISTENT} if path else set())
                                      | ({Capability.SHARED} if self.read_only else {Capability.BULK_LOAD}))
        self._index_folder = (index_cache_folder(index_cache, self.path.parent) if self.path is not None
                              else None)
        self._follow_lock = threading.Lock()
        self._seen = ""  # the writer's mark when a reader opened the store
        if path is None:
            self.backend = "memory"
            self._store = ox.Store()
        elif self.read_only:
            self._open_reader()
        else:
            try:
                self.path.mkdir(parents=True, exist_ok=True)
                self._store = ox.Store(str(self.path))
            except OSError as exc:
                raise StoreError(f"cannot open the oxigraph store at {self.path}: {exc}") from exc
        vocab = vocabulary()
        self._relation_by_iri = {r.iri: r.name for r in vocab.relations.values()}
        self._traversed = [r for r in vocab.relations.values() if r.value_chain or r.name == "DEPENDS_ON"]
        self.calls = 0
        if not self.read_only:
            self._recover()
        self._store_id = self._identity() if path is not None else None

    # ------------------------------------------------------------ one writer, readers in other processes
    @property
    def _mark_path(self) -> Path:
        return self.path.parent / f"{self.path.name}.revision"

    def _mark(self) -> None:
        """Tell readers in other processes that the store changed (after a commit): a small file replaced
        atomically, naming the latest revision and a fresh nonce (a compaction changes no revision)."""
        if self.path is None:
            return
        mark = self._mark_path
        partial = mark.with_name(f"{mark.name}.{os.getpid()}.partial")
        partial.write_text(f"{self._last_seq()} {uuid.uuid4().hex}\n")
        os.replace(partial, mark)

    def _read_mark(self) -> str:
        try:
            return self._mark_path.read_text()
        except FileNotFoundError:
            return ""

    def _open_reader(self) -> None:
        self._seen = self._read_mark()
        try:
            self._store = ox.Store.read_only(str(self.path))
        except OSError as exc:
            raise StoreError(f"cannot open the oxigraph store at {self.path} to read: {exc}") from exc

    def _follow(self) -> None:
        """A reader: open the store again if the writer marked a change since it was opened (a read-only
        RocksDB store shows the store as it was when opened). Reads under way keep the handle they took."""
        if self.read_only and self._read_mark() != self._seen:
            with self._follow_lock:
                if self._read_mark() != self._seen:
                    self._open_reader()

    def _refuse_write(self) -> None:
        if self.read_only:
            raise StoreError(f"this process reads the oxigraph store at {self.path}; another process writes to it")

    @property
    def oxigraph(self) -> ox.Store:
        """The underlying pyoxigraph store, for SPARQL and exports (a reader's: as the writer last marked it)."""
        self._follow()
        return self._store

    def close(self) -> None:
        if self.path is not None and not self.read_only:
            self._store.flush()
        del self._store

    # ------------------------------------------------------------ reading helpers
    def _quads(self, s=None, p=None, o=None, g=None):
        return self._store.quads_for_pattern(s, p, o, g)

    def _entity_quads(self, subject: ox.NamedNode, graph=None):
        """Property quads of an entity (its relations excluded)."""
        for q in self._quads(subject, None, None, graph):
            if q.predicate.value not in self._relation_by_iri:
                yield q

    def _statement_key(self, iri: str) -> RelationKey:
        from_part, rel_type, to_part = iri[len(t.STATEMENT_NS) :].split("/")
        return RelationKey(unquote(from_part), rel_type, unquote(to_part))

    @staticmethod
    def _read_props(quads) -> tuple[str | None, int | None, dict[str, Value]]:
        """(kind, sync, properties) of an entity's or a statement's quads; the sync is None where the
        quads carry none (an assertion of its source's first sync: see ``_first_seq``)."""
        kind, seq, props = None, None, {}
        for q in quads:
            p = q.predicate.value
            if p == t.RDF_TYPE.value:
                kind = t.kind_of_iri(q.object.value) or kind
            elif p == t.SEQ.value:
                seq = int(q.object.value)
            elif p not in t.STATEMENT_PREDICATES:
                props[t.property_name(p)] = t.from_literal(q.object)
        return kind, seq, props

    # ------------------------------------------------------------ core
    def source_state(self, source, entity_ids=None, relation_keys=None) -> SourceState:
        self.calls += 1
        g = t.source_graph(source)
        state = SourceState()
        if entity_ids is None and relation_keys is None:
            by_subject: dict[str, list] = defaultdict(list)
            for q in self._quads(None, None, None, g):
                by_subject[q.subject.value].append(q)
            for subject, quads in by_subject.items():
                if t.is_entity_iri(subject):
                    rel = [q for q in quads if q.predicate.value in self._relation_by_iri]
                    for q in rel:
                        key = RelationKey(t.entity_id(subject), self._relation_by_iri[q.predicate.value], t.entity_id(q.object.value))
                        state.relations.setdefault(key, {})
                    kind, _, props = self._read_props(q for q in quads if q.predicate.value not in self._relation_by_iri)
                    if kind:
                        state.entities[t.entity_id(subject)] = (kind, props)
            for subject, quads in by_subject.items():
                if t.is_statement_iri(subject):
                    key = self._statement_key(subject)
                    if key in state.relations:
                        state.relations[key] = self._read_props(quads)[2]
            return state
        for entity_id in entity_ids or ():
            kind, _, props = self._read_props(self._entity_quads(t.entity_iri(entity_id), g))
            if kind:
                state.entities[entity_id] = (kind, props)
        for key in relation_keys or ():
            triple = (t.entity_iri(key.from_id), t.relation_iri(key.type), t.entity_iri(key.to_id))
            if next(iter(self._quads(*triple, g)), None) is not None:
                state.relations[key] = self._read_props(self._quads(t.statement_iri(key), None, None, g))[2]
        return state

    def entity_records(self, ids: Iterable[str]) -> dict[str, EntityRecord]:
        self.calls += 1
        first_seq = functools.cache(self._first_seq)
        out: dict[str, EntityRecord] = {}
        for entity_id in ids:
            if entity_id in out:
                continue
            per_graph: dict[str, list] = defaultdict(list)
            for q in self._entity_quads(t.entity_iri(entity_id)):
                per_graph[q.graph_name.value].append(q)
            assertions, kind = {}, None
            for graph_iri, quads in per_graph.items():
                source = t.source_name(graph_iri)
                if source is None:
                    continue
                k, seq, props = self._read_props(quads)
                kind = kind or k
                assertions[source] = Assertion(seq if seq is not None else first_seq(graph_iri), props)
            if kind:
                out[entity_id] = EntityRecord(entity_id, kind, assertions, self.precedence)
        return out

    def relation_records(self, keys=(), *, touching=(), direction=Direction.BOTH) -> list[RelationRecord]:
        self.calls += 1
        found: dict[RelationKey, dict[str, Assertion]] = {}
        first_seq = functools.cache(self._first_seq)
        patterns = [(t.entity_iri(k.from_id), t.relation_iri(k.type), t.entity_iri(k.to_id)) for k in keys]
        for entity_id in touching:
            node = t.entity_iri(entity_id)
            if direction in (Direction.OUT, Direction.BOTH):
                patterns.append((node, None, None))
            if direction in (Direction.IN, Direction.BOTH):
                patterns.append((None, None, node))
        for s, p, o in patterns:
            for q in self._quads(s, p, o, None):
                rel_type = self._relation_by_iri.get(q.predicate.value)
                source = t.source_name(q.graph_name.value)
                if rel_type is None or source is None:
                    continue
                key = RelationKey(t.entity_id(q.subject.value), rel_type, t.entity_id(q.object.value))
                per_source = found.setdefault(key, {})
                if source not in per_source:
                    _, seq, props = self._read_props(self._quads(t.statement_iri(key), None, None, q.graph_name))
                    if seq is None:  # a relation without properties has no statement, and no sync of its own
                        seq = first_seq(q.graph_name.value) if props else 0
                    per_source[source] = Assertion(seq, props)
        return [RelationRecord(k, a) for k, a in found.items()]

    def commit(self, changes: ChangeSet) -> int:
        self.calls += 1
        self._refuse_write()
        seq = self._last_seq() + 1
        _refuse_if_moved_on(changes, seq)
        self._commit(changes, seq)
        return seq

    def _commit(self, changes: ChangeSet, seq: int) -> None:
        """One transaction: the changes (less what a batch loaded already), the revision's record and
        the sync's bookkeeping."""
        first = self._first_sync(changes.source)
        deletes, inserts = self._change_quads(changes, seq, first)
        inserts += self._bookkeeping(changes.source, seq, first)
        if changes.revision is not None:
            inserts += self._revision_quads(seq, changes.source, changes.revision)
        if deletes:
            self._store.update(_update_text(deletes, inserts))
        else:  # one transaction too, without building (and parsing) a SPARQL update
            self._store.extend(inserts)
        self._mark()

    def _change_quads(self, changes: ChangeSet, seq: int, first: bool) -> tuple[list[ox.Quad], list[ox.Quad]]:
        """(quads to delete, quads to insert) for one source's changes (``first``: of its first sync)."""
        g = t.source_graph(changes.source)
        deletes: list[ox.Quad] = []
        for entity_id in changes.drop_entities:
            deletes.extend(self._entity_quads(t.entity_iri(entity_id), g))
        for entity_id, _, _ in changes.put_entities:
            if entity_id not in changes.fresh_entities:
                deletes.extend(self._entity_quads(t.entity_iri(entity_id), g))
        for key in changes.drop_relations:
            deletes.append(ox.Quad(t.entity_iri(key.from_id), t.relation_iri(key.type), t.entity_iri(key.to_id), g))
            deletes.extend(self._quads(t.statement_iri(key), None, None, g))
        for key, _ in changes.put_relations:
            if key not in changes.fresh_relations:
                deletes.extend(self._quads(t.statement_iri(key), None, None, g))
        # what the puts assert is written once, as text (see ``_put_text``), for bulk writes and transactions alike
        inserts = [q for text in _put_text(changes, seq, first_sync=first)
                   for q in ox.parse(text, format=ox.RdfFormat.N_QUADS)]
        return deletes, inserts

    @staticmethod
    def _bookkeeping(source: str, seq: int, first: bool) -> list[ox.Quad]:
        # the store's sync counter and the source's provenance record only ever grow (the highest
        # value is the current one), so that a sync that only adds facts deletes nothing
        g, seq_lit = t.source_graph(source), ox.Literal(seq)
        now = ox.Literal(dt.datetime.now(dt.UTC).isoformat(), datatype=ox.NamedNode(t.XSD + "dateTime"))
        return [
            ox.Quad(t.STORE_NODE, t.SEQ, seq_lit, t.META_GRAPH),
            ox.Quad(g, t.RDF_TYPE, t.PROV_ENTITY, t.META_GRAPH),
            ox.Quad(g, t.SOURCE_NAME, ox.Literal(source), t.META_GRAPH),
            ox.Quad(g, t.GENERATED_AT, now, t.META_GRAPH),
            ox.Quad(g, t.SEQ, seq_lit, t.META_GRAPH),
        ] + ([ox.Quad(g, t.FIRST_SEQ, seq_lit, t.META_GRAPH)] if first else [])

    def _first_sync(self, source: str) -> bool:
        """Whether the source has no committed sync yet."""
        return next(iter(self._quads(t.source_graph(source), t.SEQ, None, t.META_GRAPH)), None) is None

    def _first_seq(self, graph: str) -> int:
        """The first sync of the source whose graph this is: the sync of each of its assertions that carries
        none of its own (0 for a store written before sources recorded it, where every assertion carries one)."""
        for q in self._quads(ox.NamedNode(graph), t.FIRST_SEQ, None, t.META_GRAPH):
            return int(q.object.value)
        return 0

    def _revision_quads(self, seq: int, source: str, facts) -> list[ox.Quad]:
        previous = self.revisions([seq - 1]).get(seq - 1)
        fields = history.revision_fields(history.commit_time(previous and previous.committed_at), source, facts)
        return [ox.Quad(t.revision_iri(seq), t.REVISION_RECORD, ox.Literal(orjson.dumps(fields).decode()),
                        t.HISTORY_GRAPH)]

    def batch(self, source: str) -> Batch:
        self._refuse_write()
        return _JournalBatch(self, source)

    # ------------------------------------------------------------ history
    def current_revision(self) -> int:
        self._follow()
        return self._last_seq()

    def revisions(self, numbers: Iterable[int]) -> dict[int, history.Revision]:
        self.calls += 1
        out = {}
        for n in numbers:
            if n < 1:
                continue
            for q in self._quads(t.revision_iri(n), t.REVISION_RECORD, None, t.HISTORY_GRAPH):
                out[n] = history.revision_of(n, orjson.loads(q.object.value))
        return out

    def revision_entities(self, number: int) -> list[str]:
        # read from the change groups themselves (their predicate is the revision): a list kept beside
        # them would be one literal of every id a large load changed, which Oxigraph writes slowly
        # (seconds for a few megabytes, inside the commit's transaction)
        self.calls += 1
        if number <= self.history_start():
            return []  # compacted: what is left at the start revision is a snapshot, not its changes
        return sorted({t.history_entity(q.subject.value)
                       for q in self._quads(None, t.revision_iri(number), None, t.HISTORY_GRAPH)})

    def change_groups(self, keys: Iterable[tuple[int, str]]) -> dict[tuple[int, str], dict]:
        self.calls += 1
        out = {}
        for number, entity_id in keys:
            found = [history.decode(q.object.value) for q in
                     self._quads(t.history_iri(entity_id), t.revision_iri(number), None, t.HISTORY_GRAPH)]
            if found:
                out[(number, entity_id)] = history.merged(found)
        return out

    def history_start(self) -> int:
        return max((int(q.object.value) for q in self._quads(t.STORE_NODE, t.HISTORY_START, None, t.META_GRAPH)),
                   default=0)

    def compact_history(self, up_to: int, entities: list[str], snapshots: list[tuple[str, dict]]) -> None:
        self.calls += 1
        deletes = [q for entity_id in entities for q in self._quads(t.history_iri(entity_id), None, None, t.HISTORY_GRAPH)
                   if (t.revision_number(q.predicate.value) or 0) <= up_to]
        inserts = [ox.Quad(t.history_iri(entity_id), t.revision_iri(up_to), ox.Literal(history.encode(group)),
                           t.HISTORY_GRAPH) for entity_id, group in snapshots]
        inserts.append(ox.Quad(t.STORE_NODE, t.HISTORY_START, ox.Literal(up_to), t.META_GRAPH))
        self._refuse_write()
        self._store.update(_update_text(deletes, inserts))
        self._mark()

    def entity_changes(self, ids: Iterable[str], up_to: int | None = None) -> dict[str, list[tuple[int, dict]]]:
        self.calls += 1
        out: dict[str, list[tuple[int, dict]]] = {}
        for entity_id in dict.fromkeys(ids):
            per_revision: dict[int, list[dict]] = defaultdict(list)
            for q in self._quads(t.history_iri(entity_id), None, None, t.HISTORY_GRAPH):
                number = t.revision_number(q.predicate.value)
                if number is not None and (up_to is None or number <= up_to):
                    per_revision[number].append(history.decode(q.object.value))
            if per_revision:
                out[entity_id] = [(n, history.merged(per_revision[n])) for n in sorted(per_revision)]
        return out

    @property
    def _journal_path(self) -> Path | None:
        """Where a bulk write keeps its journal: beside the store's folder (never inside RocksDB's)."""
        return None if self.path is None else self.path.parent / f"{self.path.name}.pending.nq"

    def _recover(self) -> None:
        """Remove what a bulk write that never committed left behind (the process died half-way)."""
        journal = self._journal_path
        if journal is None or not journal.exists():
            return
        with journal.open("rb") as handle:
            header = handle.readline().decode("utf-8", "replace")
        pending_seq = int(header.rsplit(" ", 1)[-1]) if header.startswith(_JOURNAL_HEADER) else None
        if pending_seq is not None and pending_seq > self._last_seq():
            self._remove_quads(_journal_quads(journal))
        journal.unlink()

    def _remove_quads(self, quads: Iterable[ox.Quad], chunk: int = 50_000) -> None:
        block: list[ox.Quad] = []
        for q in quads:
            block.append(q)
            if len(block) >= chunk:
                self._store.update(_update_text(block, []))
                block = []
        if block:
            self._store.update(_update_text(block, []))
        self._mark()

    def _identity(self) -> str:
        found = next(iter(self._quads(t.STORE_NODE, t.STORE_ID, None, t.META_GRAPH)), None)
        if found is not None:
            return found.object.value
        if self.read_only:  # a store the writer has not opened yet: nothing to keep an index for
            return ""
        made = uuid.uuid4().hex
        self._store.add(ox.Quad(t.STORE_NODE, t.STORE_ID, ox.Literal(made), t.META_GRAPH))
        return made

    def index_cache(self) -> tuple[Path, str] | None:
        if self._index_folder is None or not self._store_id:
            return None
        # the index holds resolved status and budget: one kept under other precedence rules is not this one
        rules = f"/{self.precedence.digest}" if self.precedence.rules else ""
        name = (f"{self.path.name}.index.npz" if self._index_folder == self.path.parent
                else f"oxigraph-{self._store_id}.index.npz")
        return self._index_folder / name, f"{self._store_id}{rules}"

    def _last_seq(self) -> int:
        return max((int(q.object.value) for q in self._quads(t.STORE_NODE, t.SEQ, None, t.META_GRAPH)), default=0)

    def snapshot(self) -> Snapshot:
        self.calls += 1
        graphs: dict[str, list[str]] = defaultdict(list)  # entity iri -> graphs asserting it
        kinds: dict[str, str] = {}
        for q in self._quads(None, t.RDF_TYPE, None, None):
            kind = t.kind_of_iri(q.object.value)
            if kind and t.source_name(q.graph_name.value) is not None:
                kinds[q.subject.value] = kind
                graphs[q.subject.value].append(q.graph_name.value)
        picked: dict[str, dict[str, Value]] = defaultdict(dict)
        for name in ("status", "budget", "health"):
            per_entity: dict[str, dict[str, Value]] = defaultdict(dict)
            for q in self._quads(None, t.property_iri(name), None, None):
                per_entity[q.subject.value][q.graph_name.value] = t.from_literal(q.object)
            for subject, by_graph in per_entity.items():
                if len(by_graph) == 1:
                    picked[subject][name] = next(iter(by_graph.values()))
                else:  # several sources disagree or agree: the precedence rule picks (graph/precedence.py)
                    picked[subject][name] = resolve(
                        {t.source_name(g) or g: Assertion(self._seq_of(subject, g), {name: v}) for g, v in by_graph.items()},
                        kinds.get(subject, ""), self.precedence,
                    )[name]
        for subject, by_name in self._external_ids().items():
            for name, by_graph in by_name.items():
                if subject not in kinds:
                    continue
                if len(by_graph) == 1:
                    picked[subject][name] = next(iter(by_graph.values()))
                else:
                    picked[subject][name] = resolve(
                        {t.source_name(g) or g: Assertion(self._seq_of(subject, g), {name: v})
                         for g, v in by_graph.items()},
                        kinds[subject], self.precedence,
                    )[name]
        nodes = []
        for subject, kind in kinds.items():
            nodes.append(NodeState.of(t.entity_id(subject), kind, picked.get(subject, {})))
        edges: set[RelationKey] = set()
        for rel in self._traversed:
            for q in self._quads(None, ox.NamedNode(rel.iri), None, None):
                if t.source_name(q.graph_name.value) is not None:
                    edges.add(RelationKey(t.entity_id(q.subject.value), rel.name, t.entity_id(q.object.value)))
        return Snapshot(nodes, sorted(edges), self._last_seq())

    def _external_ids(self) -> dict[str, dict[str, dict[str, Value]]]:
        """Every source's external ids (the properties externalIds.<system>, graph/crosswalk.py): entity iri ->
        property -> source graph -> id. Their predicates are not known beforehand: one pass over the store."""
        prefix = t.property_iri(crosswalk.PREFIX).value
        query = ("SELECT ?s ?p ?o ?g WHERE { GRAPH ?g { ?s ?p ?o } "
                 f"FILTER(STRSTARTS(STR(?p), {ox.Literal(prefix)}) && STRSTARTS(STR(?g), {ox.Literal(t.SOURCE_NS)})) }}")
        found: dict[str, dict[str, dict[str, Value]]] = defaultdict(lambda: defaultdict(dict))
        for row in self._store.query(query):
            name = t.property_name(row["p"].value)
            if name is not None and isinstance(row["o"], ox.Literal):
                found[row["s"].value][name][row["g"].value] = t.from_literal(row["o"])
        return found

    def shared_entities(self) -> list[str]:
        self.calls += 1
        graphs: dict[str, int] = defaultdict(int)
        for q in self._quads(None, t.RDF_TYPE, None, None):
            if t.source_name(q.graph_name.value) is not None and t.is_entity_iri(q.subject.value):
                graphs[q.subject.value] += 1
        return sorted(t.entity_id(subject) for subject, n in graphs.items() if n > 1)

    def _seq_of(self, subject: str, graph: str) -> int:
        """The sync of an entity's assertion in a source's graph."""
        for q in self._quads(ox.NamedNode(subject), t.SEQ, None, ox.NamedNode(graph)):
            return int(q.object.value)
        return self._first_seq(graph)

    def sources(self) -> dict[str, dict]:
        self.calls += 1
        out: dict[str, dict] = {}
        for q in self._quads(None, t.SOURCE_NAME, None, t.META_GRAPH):
            info = {"graph": q.subject.value}
            for meta in self._quads(q.subject, None, None, t.META_GRAPH):
                if meta.predicate == t.GENERATED_AT:
                    info["lastSync"] = max(info.get("lastSync", ""), meta.object.value)
                elif meta.predicate == t.SEQ:
                    info["seq"] = max(info.get("seq", 0), int(meta.object.value))
            out[q.object.value] = info
        return dict(sorted(out.items()))

    def clear(self) -> None:
        """Delete every source's assertions, the history and the sync records, in one transaction: the
        store starts again at revision 0. It takes a new identity, so that a traversal index kept for
        what it held before is never taken for what it holds after."""
        self.calls += 1
        graphs = sorted({str(q.subject) for q in self._quads(None, t.SOURCE_NAME, None, t.META_GRAPH)})
        made = uuid.uuid4().hex
        operations = [f"DROP SILENT GRAPH {g}" for g in [*graphs, str(t.HISTORY_GRAPH)]]
        operations += [f"DELETE WHERE {{ GRAPH {t.META_GRAPH} {{ {g} ?p ?o }} }}" for g in graphs]
        operations.append(f"DELETE WHERE {{ GRAPH {t.META_GRAPH} {{ {t.STORE_NODE} ?p ?o }} }}")
        operations.append(f"INSERT DATA {{ GRAPH {t.META_GRAPH} {{ {t.STORE_NODE} {t.STORE_ID} {ox.Literal(made)} }} }}")
        self._refuse_write()
        self._store.update(" ;\n".join(operations))
        if self._store_id is not None:
            self._store_id = made
        self._mark()

    def relation_counts(self) -> dict[str, int]:
        self.calls += 1
        counts = {}
        for iri, name in self._relation_by_iri.items():
            keys = {(q.subject, q.object) for q in self._quads(None, ox.NamedNode(iri), None, None)
                    if t.source_name(q.graph_name.value) is not None}
            counts[name] = len(keys)
        return counts

    def search(self, text: str) -> set[str]:
        needle = text.lower()
        query = (f"SELECT DISTINCT ?e WHERE {{ GRAPH ?g {{ ?e {t.property_iri('name')} ?n }} "
                 f"FILTER(CONTAINS(LCASE(STR(?n)), {ox.Literal(needle)})) }}")
        # any source's name matches here, and so does a relation's property called "name" (on its
        # statement node): only entities whose answered name (the latest sync's) contains the text count
        found = [t.entity_id(iri) for row in self._store.query(query) if t.is_entity_iri(iri := row["e"].value)]
        return {i for i, record in self.entity_records(found).items() if needle in record.name.lower()}

    def sparql(self, query: str):
        """A SPARQL query over the union of the source graphs (each also available by name)."""
        self.calls += 1
        self._follow()  # an analyst's query is not preceded by a question's revision check
        graphs = [t.source_graph(s) for s in self.sources()] or [ox.NamedNode(t.BASE + "no-source")]
        try:
            return self._store.query(query, default_graph=graphs, named_graphs=graphs, prefixes=PREFIXES)
        except SyntaxError as exc:
            raise SparqlError(f"the query does not parse: {exc}") from exc


def _refuse_if_moved_on(changes: ChangeSet, seq: int) -> None:
    if changes.after_revision is not None and changes.after_revision != seq - 1:
        raise StoreConflict(f"the sync of {changes.source!r} was planned against revision {changes.after_revision}, "
                            f"but the store is at revision {seq - 1}: nothing was written")


def _update_text(deletes: list[ox.Quad], inserts: list[ox.Quad]) -> str:
    """One SPARQL update (one transaction) deleting then inserting the given quads."""
    parts = []
    if deletes:
        parts.append("DELETE DATA {\n" + _quad_block(deletes) + "}")
    if inserts:
        parts.append("INSERT DATA {\n" + _quad_block(inserts) + "}")
    return " ;\n".join(parts)


def _quad_block(quads: list[ox.Quad]) -> str:
    by_graph: dict[str, list[str]] = defaultdict(list)
    for q in quads:
        by_graph[str(q.graph_name)].append(f"{q.subject} {q.predicate} {q.object} .")
    return "".join(f"GRAPH {g} {{\n" + "\n".join(lines) + "\n}\n" for g, lines in by_graph.items())


_JOURNAL_HEADER = "# valuegraph bulk write of sync"


def _put_text(changes: ChangeSet, seq: int, facts_per_slice: int = 20_000, *,
              first_sync: bool = False) -> Iterator[str]:
    """The quads that a change set's puts assert (each entity's kind, sync and properties; each relation's
    triple and, with properties, its statement) and its change groups, as N-Quads text in slices. Written
    directly: for a bulk write, building a term object per quad costs more than the bulk load itself.
    ``first_sync``: the source's first, whose assertions carry no sync of their own (``_first_seq``)."""
    g = f"{t.source_graph(changes.source)} .\n"
    seq_text = f" {t.SEQ} {t.literal_text(seq)} {g}"
    literal = t.literal_text
    # IRIs as text, each made once per write: entities (a relation's ends are mostly this write's
    # entities), and kinds, properties and relation types
    ref = functools.cache(t.entity_ref)
    iri = functools.cache(lambda make, name: str(make(name)))
    type_text = str(t.RDF_TYPE)
    # the text before each property's value, per property name: "<entity> <property> "
    property_text = functools.cache(lambda name: f" {t.property_iri(name)} ")

    lines: list[str] = []
    for n, (entity_id, kind, props) in enumerate(changes.put_entities, start=1):
        s = ref(entity_id)
        lines.append(f"{s} {type_text} {iri(t.kind_iri, kind)} {g}")
        if not first_sync:
            lines.append(f"{s}{seq_text}")
        lines += [s + property_text(k) + literal(v) + " " + g for k, v in props.items()]
        if n % facts_per_slice == 0:
            yield "".join(lines)
            lines = []
    history_graph = f"{t.HISTORY_GRAPH} .\n"
    revision = f" {t.revision_iri(seq)} "
    for n, (entity_id, group) in enumerate(changes.history, start=1):
        lines.append(f"{t.history_ref(entity_id)}{revision}{_json_literal(history.encode(group))} {history_graph}")
        if n % facts_per_slice == 0:
            yield "".join(lines)
            lines = []
    for n, (key, props) in enumerate(changes.put_relations, start=1):
        s, p, o = ref(key.from_id), iri(t.relation_iri, key.type), ref(key.to_id)
        lines.append(f"{s} {p} {o} {g}")
        if props:
            st = t.statement_iri(key)
            lines.append(f"{st} {type_text} {t.RDF_STATEMENT} {g}{st} {t.RDF_SUBJECT} {s} {g}"
                         f"{st} {t.RDF_PREDICATE} {p} {g}{st} {t.RDF_OBJECT} {o} {g}")
            if not first_sync:
                lines.append(f"{st}{seq_text}")
            lines += [f"{st} {iri(t.property_iri, k)} {literal(v)} {g}" for k, v in props.items()]
        if n % facts_per_slice == 0:
            yield "".join(lines)
            lines = []
    if lines:
        yield "".join(lines)


def _json_literal(text: str) -> str:
    """Compact JSON as an N-Quads literal. JSON text holds no raw line breaks (they are escaped inside its
    strings), so only backslashes and quotes need escaping: two replacements at C speed, where the general
    ``literal_text`` translates every change group character by character (each group has quotes)."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _journal_quads(journal: Path):
    """The quads a journal holds, up to the first line a crash cut short."""
    try:
        yield from ox.parse(path=str(journal), format=ox.RdfFormat.N_QUADS, lenient=True)
    except SyntaxError:
        return


class _JournalBatch(Batch):
    """A large sync written in bulk.

    Facts new to the store (fresh entities and their relations: no quad of theirs can exist yet) are
    written as N-Quads, a slice at a time, to a journal file and then bulk-loaded by loader threads
    (Oxigraph releases the GIL while it loads, so the next slice is made meanwhile), which costs a
    fraction of a transaction's time and memory; everything else, and the sync's bookkeeping, is
    committed in one small transaction after them. The traversal index follows the commit. A slice
    reaches the journal on disk before it is loaded, and the journal names the sync's sequence number:
    if the write fails or is discarded the journal's quads are removed again, and a store opened after
    a crash that came before the commit removes them too, so a sync is still all or nothing.
    """

    #: one bulk load parses its slice, then sorts and writes it: two slices loaded at once keep both
    #: phases busy (each load writes files of its own, which RocksDB takes in safely side by side)
    loaders = 2
    #: each bulk load writes files that the store later merges with the rest, so fewer, larger slices
    #: cost it less; but the first slice is loaded only once it is made, so a write in too few slices
    #: waits for it. A slice holds at least this many facts, and a large write is cut in about
    #: ``slices`` of them (at 394,000 entities, slices of 20,000 facts took 37 s, of 50,000 or more 31–33 s)
    facts_per_slice = 20_000
    slices = 12

    def __init__(self, store: OxigraphStore, source: str) -> None:
        super().__init__(source)
        self._store = store
        # a journal left by a write whose quads could not be removed then: removed now, before this
        # write's journal takes its place
        store._recover()
        self._seq = store._last_seq() + 1
        self._first_sync = store._first_sync(source)
        journal = store._journal_path
        if journal is None:
            fd, name = tempfile.mkstemp(suffix=".nq", prefix="valuegraph-")
            os.close(fd)
            journal = Path(name)
        self._journal = journal
        self._handle = journal.open("wb")
        self._handle.write(f"{_JOURNAL_HEADER} {self._seq}\n".encode())
        self._slices: queue.Queue[bytes | None] = queue.Queue(maxsize=2)  # bounded: memory stays bounded
        self._failure: BaseException | None = None
        self._stopping = False
        self._loaders: list[threading.Thread] = []

    def add(self, changes: ChangeSet) -> None:
        fresh, rest = changes.split_fresh()
        size = max(self.facts_per_slice, (len(fresh.put_entities) + len(fresh.history) + len(fresh.put_relations))
                   // self.slices)
        for text in _put_text(fresh, self._seq, size, first_sync=self._first_sync) if fresh or fresh.history else ():
            if self._stopping:
                return
            data = text.encode()
            self._handle.write(data)
            self._handle.flush()  # with the system: a loader syncs it to disk before loading it
            if not self._loaders:
                self._loaders = [threading.Thread(target=self._load, name=f"valuegraph-bulk-load-{n}", daemon=True)
                                 for n in range(self.loaders)]
                for loader in self._loaders:
                    loader.start()
            self._slices.put(data)
        self.rest.merge(rest)

    def stop(self) -> None:
        self._stopping = True

    def _load(self) -> None:
        while (data := self._slices.get()) is not None:
            if self._failure is None and not self._stopping:
                try:
                    # the slice on disk before any of it is loaded (synced here, not where it is written,
                    # so that the next slice is made meanwhile)
                    os.fsync(self._handle.fileno())
                    # lenient: the text is ours (ids percent-encoded, literals escaped), so parsing
                    # it need not validate every IRI again
                    self._store.oxigraph.bulk_load(data, format=ox.RdfFormat.N_QUADS, lenient=True)
                except BaseException as exc:  # noqa: BLE001 - handed to the committing thread
                    self._failure = exc

    def _finish_loading(self) -> bool:
        """Wait for the loaders; whether they loaded anything."""
        if not self._loaders:
            return False
        for _ in self._loaders:
            self._slices.put(None)
        for loader in self._loaders:
            loader.join()
        return True

    def commit(self) -> int:
        self._store.calls += 1
        try:
            self._finish_loading()  # (the journal is closed below, after the loaders, which sync it)
            if self._failure is not None:
                raise self._failure
            if self._store._last_seq() >= self._seq:
                # the facts loaded carry this sync's number, taken when the batch began: another
                # commit took it meanwhile, and two syncs with one number would be told apart by nothing
                raise StoreConflict(f"another write to this store committed sync {self._seq} while the batch for "
                                    f"{self.source!r} was open; nothing of the batch was written")
            _refuse_if_moved_on(self.rest, self._seq)
            self._store._commit(self.rest, self._seq)
        except BaseException:
            self._handle.close()
            self._remove_loaded()
            raise
        self._handle.close()
        self._journal.unlink(missing_ok=True)
        return self._seq

    def discard(self) -> None:
        loaded = self._finish_loading()
        self._handle.close()  # (after the loaders, which sync it)
        if loaded:
            self._remove_loaded()
        else:
            self._journal.unlink(missing_ok=True)

    def _remove_loaded(self) -> None:
        """Remove the journal's quads from the store, then the journal. If the removal fails (it may fail
        for the reason the write did), the journal stays: the next batch, or the next process to open the
        store, removes its quads. Called while another error is on its way, so this one is logged."""
        try:
            self._store._remove_quads(_journal_quads(self._journal))
        except Exception:  # noqa: BLE001 - the write's own error is the one raised
            _log.exception("the quads of the failed bulk write of sync %d could not be removed yet; %s keeps "
                           "them for the next write or start", self._seq, self._journal)
            return
        self._journal.unlink(missing_ok=True)
