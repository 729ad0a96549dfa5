"""The benchmark suite: every hot path as a ratio against a baseline run in the same process on the same data.

    python -m benchmarks --scale S|M|L [--backend oxigraph|neo4j [--peers]] [--json OUT]

Scales: S = 1,000 projects, M = 10,000, L = 100,000 (benchmarks/generate.py, fixed seed). The JSON object has
one key per ratio below, plus ``scale``, ``backend``, ``machine`` and ``raw`` (the times behind each ratio).

| ratio | meaning | target |
|---|---|---|
| traversal_vs_networkx | what_delivers (goal, objective, key result) / networkx ancestors + kind filter | <= 0.3 |
| traversal_vs_sparql_path | SPARQL property-path query / what_delivers | >= 20 |
| ingest_vs_bulk_load | our load rate (validation included) / pyoxigraph bulk_load of the same N-Quads (median of interleaved rounds) | >= 0.5 |
| neo4j_ingest_vs_unwind | our Neo4j sync rate / hand-written UNWIND batches (null without a Neo4j server) | >= 0.7 |
| graphql_vs_bare_http | whatDelivers(first: 100) requests per second / a bare endpoint serving the same bytes | >= 0.3 |
| store_calls_per_request | store calls of one nested GraphQL query over 500 projects | <= 5 |
| index_bytes_per_edge | traversal index bytes / traversable edges | <= 32 |
| cold_start_vs_networkx_build | open the store and build the index / build a networkx DiGraph of the same edges | <= 1.0 |
| small_sync_vs_index_build | sync a 10-fact change and publish the next index snapshot (median) / TraversalIndex.build from the store's snapshot | <= 0.05 |
| asof_vs_current | whatDelivers(first: 100) as of 100 small syncs back, asked again (median) / the same question now | <= 2 |
| asof_cold_vs_index_build | the first such question at a revision not asked before / TraversalIndex.build(store.snapshot()) | <= 1 |
| peer_neo4j_graphql_q1, _q2, _q3 | valuegraph serve requests/s / the Neo4j GraphQL Library's, same Neo4j, 8 clients (--peers) | >= 1.5 |
| peer_neo4j_graphql_q1_c1, _q2_c1, _q3_c1 | the same at 1 client (--peers) | >= 1.5 |
| concurrency_scaling | valuegraph serve requests/s at 8 clients / at 1 client, q3 (--peers) | >= 1.5 |
| peer_cypher_delivers | the delivery question as plain Cypher (Python driver) / what_delivers with the record cache emptied (--peers) | >= 2 |
| startup_vs_peer | valuegraph serve's start to its first answer / the peer's (--peers; median of start rounds) | <= 1.0 |

``history_bytes_per_fact`` (no target) is the history's size as N-Quads per entity and relation held, after one
full reload of every source with one fact in ten changed; it and the two as-of ratios are explained in
benchmarks/history.py.

``--peers`` (with ``--backend neo4j``) adds the peers' keys, explained in benchmarks/peers.py: q1 is whatDelivers
of the largest goal (first 100, with path lengths), q2 an objective's key results and the projects contributing,
q3 a project's programme and portfolio; both servers must give the same answers before anything is timed.
``rss_vs_peer`` (no target) is valuegraph serve's resident memory after the warm-up / the peer's;
``startup_floor_vs_peer`` (no target) the first answer of a server on the same stack with none of valuegraph's
code (benchmarks/stack_floor.py) / the peer's. The keys are
null, with the reason printed, when Neo4j does not answer or the peer is not installed (``npm ci --prefix
benchmarks/peer``); without ``--peers`` they are absent.

``ingest_vs_bulk_load`` is the median over ``--ingest-rounds`` (3) interleaved rounds, each loading the documents
into a fresh store and then bulk-loading the same quads into fresh stores; ``raw.ingest_rounds`` holds every
round's times (on a shared machine's disk a single timing of either swings by half). ``raw.bulk_load_by_source_s`` times ``bulk_load`` of the same N-Quads one source at a time (a sync per source loads
into a store that already holds the sources before it); the run prints ``ingest_vs_bulk_load`` against it too.
``raw.graphql_engine_only_s`` times the same requests against graphql-core alone, serving the same schema with the
answer precomputed as plain dicts: ``bare_s / graphql_engine_only_s`` is the most ``graphql_vs_bare_http`` can be
with graphql-core executing the query (printed as its ceiling).
"""

from __future__ import annotations

import os
import platform
import statistics
import sys
import tempfile
import time

import networkx as nx
import pyoxigraph as ox

from benchmarks import command, neo4j_ingest, peers as peer_comparison
from benchmarks.generate import SCALES, generate
from benchmarks.history import asof_ratios, history_size
from benchmarks.serving import http_ratios
from benchmarks.snapshots import small_sync_ratio
from benchmarks.traversal import best_time, networkx_graph, pick_targets, sparql_query
from valuegraph.graph import ValueGraph, kernels, open_store, rdf, terms, traversal
from valuegraph.graph.pause import collector_paused
from valuegraph.loaders import validate_mapping

TARGETS = {
    "traversal_vs_networkx": ("<=", 0.3), "traversal_vs_sparql_path": (">=", 20), "ingest_vs_bulk_load": (">=", 0.5),
    "neo4j_ingest_vs_unwind": (">=", 0.7), "graphql_vs_bare_http": (">=", 0.3), "store_calls_per_request": ("<=", 5),
    "index_bytes_per_edge": ("<=", 32), "cold_start_vs_networkx_build": ("<=", 1.0),
    "small_sync_vs_index_build": ("<=", 0.05), "asof_vs_current": ("<=", 2), "asof_cold_vs_index_build": ("<=", 1),
    "peer_neo4j_graphql_q1": (">=", 1.5), "peer_neo4j_graphql_q2": (">=", 1.5), "peer_neo4j_graphql_q3": (">=", 1.5),
    "peer_neo4j_graphql_q1_c1": (">=", 1.5), "peer_neo4j_graphql_q2_c1": (">=", 1.5),
    "peer_neo4j_graphql_q3_c1": (">=", 1.5), "concurrency_scaling": (">=", 1.5), "peer_cypher_delivers": (">=", 2),
    "startup_vs_peer": ("<=", 1.0),
}


def ingest(docs: list[dict], folder: str) -> tuple[ValueGraph, float]:
    """(graph, seconds) of our load of the documents into an embedded store in ``folder``."""
    started = time.perf_counter()
    graph = ValueGraph(open_store(f"oxigraph:{folder}/ours"))
    with collector_paused():  # as `valuegraph load` reads, checks and writes its documents
        for raw in docs:
            graph.sync(validate_mapping(raw, raw["source"]))
    return graph, time.perf_counter() - started


def bulk_load_inputs(graph: ValueGraph, docs: list[dict]) -> tuple[bytes, list[bytes]]:
    """The graph's quads as N-Quads: in one text, and in one text per source in the documents' order (as a
    sync per source must load them)."""
    nquads = ox.serialize(rdf.quads(graph.store), format=ox.RdfFormat.N_QUADS)
    by_graph: dict[bytes, list[bytes]] = {}
    for line in nquads.splitlines():
        by_graph.setdefault(line.rsplit(b" ", 2)[-2], []).append(line)
    order = [str(terms.source_graph(d["source"])).encode() for d in docs]
    parts = [b"\n".join(by_graph.pop(g, [])) + b"\n" for g in order]
    parts[0] += b"".join(b"\n".join(lines) + b"\n" for lines in by_graph.values())  # bookkeeping
    return nquads, parts


def bulk_load_baselines(nquads: bytes, parts: list[bytes], folder: str) -> dict:
    """``bulk_load`` of the N-Quads into fresh stores: in one call, and one source at a time."""
    def load(name: str, inputs: list[bytes]) -> float:
        store = ox.Store(f"{folder}/{name}")
        started = time.perf_counter()
        for data in inputs:
            store.bulk_load(data, format=ox.RdfFormat.N_QUADS)
        return time.perf_counter() - started

    return {"bulk_load_s": load("bulk", [nquads]), "bulk_load_by_source_s": load("by-source", parts)}


def ingest_rounds(docs: list[dict], folder: str, rounds: int) -> tuple[ValueGraph, dict]:
    """Our load and the bulk loads of the same quads, interleaved over ``rounds`` rounds, each into fresh
    stores (the disk of a shared machine makes single timings of either swing by half): the graph of the
    first round, kept for the rest of the suite, and the times of every round."""
    graph, ours_s = ingest(docs, folder)
    nquads, parts = bulk_load_inputs(graph, docs)
    times = [{"ingest_s": ours_s, **bulk_load_baselines(nquads, parts, folder)}]
    for n in range(1, rounds):
        with tempfile.TemporaryDirectory(dir=folder, prefix=f"round-{n}-") as scratch:
            other, ours_s = ingest(docs, scratch)
            times.append({"ingest_s": ours_s, **bulk_load_baselines(nquads, parts, scratch)})
            other.close()
    return graph, {"ingest_rounds": times, **{key: statistics.median(t[key] for t in times) for key in times[0]}}


def _median_ratio(rounds: list[dict], baseline: str) -> float:
    """The median over rounds of a baseline's time over ours in the same round."""
    return statistics.median(r[baseline] / r["ingest_s"] for r in rounds)


def traversal_ratios(graph: ValueGraph, repeat: int, sparql_runs: int = 2) -> dict:
    kernels.load_compiled(wait=True)  # a server's search, as it answers once started
    nxg = networkx_graph(graph)
    delivery = set(traversal.DELIVERY_KINDS)
    ours = nx_time = sparql = 0.0
    for target in pick_targets(graph).values():
        t = graph.index.number[target]
        ours += best_time(lambda target=target: traversal.what_delivers(graph.index, target), repeat)
        nx_time += best_time(lambda t=t: [n for n in nx.ancestors(nxg, t) if nxg.nodes[n]["kind"] in delivery],
                             repeat)
        query = sparql_query(target)
        # at L one property-path query takes minutes: it runs once, without a warm-up
        sparql += best_time(lambda query=query: list(graph.store.sparql(query)), sparql_runs, warm_up=sparql_runs > 1)
    return {"ours_s": ours, "networkx_s": nx_time, "sparql_path_s": sparql}


def cold_start(folder: str, graph: ValueGraph, repeat: int = 3) -> dict:
    src, dst, _ = graph.index.value.arrays()
    dsrc, ddst, _ = graph.index.depends.arrays()
    edges = list(zip(src.tolist() + dsrc.tolist(), dst.tolist() + ddst.tolist(), strict=True))
    graph.close()

    def open_and_index():
        ValueGraph(open_store(f"oxigraph:{folder}/ours")).close()

    return {"cold_start_s": best_time(open_and_index, repeat),
            "networkx_build_s": best_time(lambda: nx.DiGraph(edges), repeat), "edges": len(edges)}


def run(scale: str, backend: str, neo4j_url: str | None, peers: bool = False, peer_rounds: int = 12,
        ingest_rounds_count: int = 3, startup_rounds: int = peer_comparison.STARTUP_ROUNDS) -> dict:
    projects = SCALES[scale]
    docs = generate(projects)
    raw: dict = {"projects": projects}
    with tempfile.TemporaryDirectory() as folder:
        graph, loads = ingest_rounds(docs, folder, ingest_rounds_count)
        raw.update(facts=sum(len(d["entities"]) + len(d["relations"]) for d in docs), **loads)
        raw.update(traversal_ratios(graph, repeat=20 if scale != "L" else 5, sparql_runs=2 if scale != "L" else 1))
        raw.update(http_ratios(graph, requests=200 if scale == "S" else 400))
        edges = len(graph.index.value) + len(graph.index.depends)
        ids = graph.index.ids  # the id table (Python strings and a dict) is reported apart from the arrays
        raw.update(index_bytes=graph.index.nbytes, index_edges=edges, id_table_bytes=sys.getsizeof(ids)
                   + sys.getsizeof(graph.index._table) + sum(sys.getsizeof(i) for i in ids))
        raw.update(small_sync_ratio(graph))  # after the other ratios: it adds a few projects
        raw.update(asof_ratios(graph, pick_targets(graph)["objective"]))  # 100 more small syncs
        raw.update(history_size(graph, docs))  # a reload of every source, one fact in ten changed
        raw.update(cold_start(folder, graph))
    neo4j = None
    url = neo4j_url or "bolt://127.0.0.1:7687"
    user = os.environ.get("VALUEGRAPH_NEO4J_USER", "neo4j")
    password = os.environ.get("VALUEGRAPH_NEO4J_PASSWORD", "valuegraph-dev")
    loaded = False
    if backend == "neo4j" or neo4j_url:
        try:  # with the peers, our load stays in Neo4j for them
            result = neo4j_ingest.run(projects, url, user, password, keep=peers)
            neo4j = result["neo4j_ingest_vs_unwind"]
            raw.update(neo4j_sync_s=result["valuegraph_sync_s"], neo4j_unwind_s=result["bare_unwind_s"])
            loaded = True
        except Exception as exc:  # noqa: BLE001 - reported, not fatal: the other ratios stand
            raw["neo4j_error"] = str(exc)
    peer_keys: dict = {}
    if peers:
        if loaded:
            found = peer_comparison.run(url, user, password, scale=scale, rounds=peer_rounds, loaded=True,
                                        startup_rounds=startup_rounds)
        else:
            found = {"keys": dict.fromkeys(peer_comparison.KEYS),
                     "raw": {"error": f"Neo4j did not take the portfolio: {raw.get('neo4j_error')}"}}
        peer_keys = found["keys"]
        raw["peers"] = found["raw"]
    return {
        "scale": scale,
        "backend": backend,
        "machine": {"python": platform.python_version(), "machine": platform.machine(), "cpus": os.cpu_count()},
        "traversal_vs_networkx": raw["ours_s"] / raw["networkx_s"],
        "traversal_vs_sparql_path": raw["sparql_path_s"] / raw["ours_s"],
        "ingest_vs_bulk_load": _median_ratio(raw["ingest_rounds"], "bulk_load_s"),
        "neo4j_ingest_vs_unwind": neo4j,
        "graphql_vs_bare_http": raw["bare_s"] / raw["graphql_s"],
        "store_calls_per_request": raw["store_calls"],
        "index_bytes_per_edge": raw["index_bytes"] / max(1, raw["index_edges"]),
        "cold_start_vs_networkx_build": raw["cold_start_s"] / raw["networkx_build_s"],
        "small_sync_vs_index_build": raw["small_sync_s"] / raw["index_build_s"],
        "asof_vs_current": raw["asof_s"] / raw["current_s"],
        "asof_cold_vs_index_build": raw["asof_cold_s"] / raw["index_build_from_store_s"],
        "history_bytes_per_fact": raw["history_bytes"] / raw["history_facts"],
        **peer_keys,
        "raw": raw,
    }


def main() -> None:
    parser = command.parser(__doc__)
    parser.add_argument("--scale", choices=SCALES, default="M")
    parser.add_argument("--backend", choices=["oxigraph", "neo4j"], default="oxigraph",
                        help="neo4j adds the Neo4j ingest ratio (a server must run: make neo4j)")
    parser.add_argument("--neo4j-url", default=None)
    parser.add_argument("--peers", action="store_true",
                        help="with --backend neo4j: also time valuegraph serve against the Neo4j GraphQL Library "
                             "and plain Cypher on the same Neo4j (npm ci --prefix benchmarks/peer first)")
    parser.add_argument("--peer-rounds", type=int, default=12, help="interleaved rounds of the peers' timing")
    parser.add_argument("--ingest-rounds", type=int, default=3,
                        help="interleaved rounds of our load and the bulk loads (ingest_vs_bulk_load is their median)")
    parser.add_argument("--startup-rounds", type=int, default=peer_comparison.STARTUP_ROUNDS,
                        help="with --peers: rounds of starting and stopping each server alone (startup_vs_peer is "
                             "their median ratio)")
    args = parser.parse_args()
    if args.peers and args.backend != "neo4j" and not args.neo4j_url:
        parser.error("--peers needs --backend neo4j (the peers run on the same Neo4j)")
    if args.peer_rounds < 1 or args.ingest_rounds < 1 or args.startup_rounds < 0:
        parser.error("--peer-rounds and --ingest-rounds must be at least 1, --startup-rounds at least 0")
    result = run(args.scale, args.backend, args.neo4j_url, args.peers, args.peer_rounds, args.ingest_rounds,
                 args.startup_rounds)
    print(f"scale {result['scale']} ({result['raw']['projects']:,} projects, {result['raw']['facts']:,} entities and "
          f"relations), backend {result['backend']}")
    for name, (op, target) in TARGETS.items():
        if name not in result:  # the peers' keys, without --peers
            continue
        value = result[name]
        ok = "n/a" if value is None else ("ok" if (value <= target if op == "<=" else value >= target) else "MISSED")
        shown = "n/a" if value is None else f"{value:,.3g}"
        print(f"  {name:<30} {shown:>10}   target {op} {target:<5} {ok}")
    raw = result["raw"]
    print(f"  {'history_bytes_per_fact':<30} {result['history_bytes_per_fact']:>10,.3g}   "
          f"({raw['history_revisions']} revisions, {raw['reload_updated']:,} facts changed by the reload)")
    limits = {  # what limits two of the ratios, measured in the same run
        "ingest_vs_bulk_load against bulk_load one source at a time": _median_ratio(raw["ingest_rounds"],
                                                                                   "bulk_load_by_source_s"),
        "graphql_vs_bare_http with graphql-core alone over the same answer": raw["bare_s"] / raw["graphql_engine_only_s"],
    }
    for label, ratio in limits.items():
        print(f"  ({label}: {ratio:.3g})")
    if "peers" in raw:
        for name in ("startup_floor_vs_peer", "rss_vs_peer"):
            value = result.get(name)
            print(f"  {name:<30} {'n/a' if value is None else f'{value:,.3g}':>10}   (no target)")
        print("\n".join(peer_comparison.report(raw["peers"])))
    command.write_json(args, result)


if __name__ == "__main__":
    main()
