"""Our Neo4j sync against a hand-written UNWIND batch load of the same rows into the same server.

    python -m benchmarks.neo4j_ingest --projects 10000 [--url bolt://127.0.0.1:7687]

The ratio is (entities + relations per second through valuegraph, validation
included) / (the same per second through plain ``UNWIND $rows MERGE`` batches
on a constrained id); higher is better, target >= 0.7. Both run in this
process against the same (emptied) database.
"""

from __future__ import annotations

import os
import time


from benchmarks import command
from benchmarks.generate import generate
from valuegraph.graph import ValueGraph, open_store
from valuegraph.graph.pause import collector_paused
from valuegraph.loaders import validate_mapping

BATCH = 10_000


def bare_load(store, docs: list[dict]) -> None:
    """The baseline: labelled MERGE on a constrained id, relationships by type, in batches."""
    driver = store._driver  # the same driver and database as valuegraph's store

    def write(tx, query, rows):
        tx.run(query, rows=rows).consume()

    with driver.session(database=store.database) as session:
        for doc in docs:
            rows = [{"id": e["id"], "kind": e["kind"], "props": {k: v for k, v in e.items()}} for e in doc["entities"]]
            for i in range(0, len(rows), BATCH):
                session.execute_write(write, "UNWIND $rows AS row MERGE (n:Entity {id: row.id}) "
                                             "SET n += row.props SET n:$(row.kind)", rows[i:i + BATCH])
            rels = [{"from": r["from"], "type": r["type"], "to": r["to"],
                     "props": {k: v for k, v in r.items() if k not in ("from", "type", "to")}} for r in doc["relations"]]
            for i in range(0, len(rels), BATCH):
                session.execute_write(write, "UNWIND $rows AS row MATCH (a:Entity {id: row.from}), (b:Entity {id: row.to}) "
                                             "MERGE (a)-[r:$(row.type)]->(b) SET r += row.props", rels[i:i + BATCH])


def run(projects: int, url: str, user: str, password: str, *, keep: bool = False) -> dict:
    """``keep``: leave valuegraph's load in the database (the peers' comparison reads it); emptied otherwise."""
    docs = generate(projects)
    facts = sum(len(d["entities"]) + len(d["relations"]) for d in docs)
    store = open_store(url, user=user, password=password)
    store.clear()
    started = time.perf_counter()
    bare_load(store, docs)
    bare = time.perf_counter() - started
    store.clear()
    graph = ValueGraph(store)
    started = time.perf_counter()
    with collector_paused():  # as `valuegraph load` reads, checks and writes its documents
        for raw in docs:
            graph.sync(validate_mapping(raw, raw["source"]))
    ours = time.perf_counter() - started
    if not keep:
        store.clear()
    graph.close()
    return {"projects": projects, "facts": facts, "bare_unwind_s": bare, "valuegraph_sync_s": ours,
            "bare_facts_per_s": facts / bare, "valuegraph_facts_per_s": facts / ours,
            "neo4j_ingest_vs_unwind": bare / ours}


def main() -> None:
    parser = command.parser(__doc__)
    parser.add_argument("--projects", type=int, default=10_000)
    parser.add_argument("--url", default=os.environ.get("VALUEGRAPH_TEST_NEO4J_URL", "bolt://127.0.0.1:7687"))
    args = parser.parse_args()
    result = run(args.projects, args.url, os.environ.get("VALUEGRAPH_NEO4J_USER", "neo4j"),
                 os.environ.get("VALUEGRAPH_NEO4J_PASSWORD", "valuegraph-dev"))
    print(f"{result['facts']} entities and relations: UNWIND batches {result['bare_unwind_s']:.1f} s, "
          f"valuegraph sync {result['valuegraph_sync_s']:.1f} s; "
          f"neo4j_ingest_vs_unwind = {result['neo4j_ingest_vs_unwind']:.2f} (target >= 0.7)")
    command.write_json(args, result)


if __name__ == "__main__":
    main()
