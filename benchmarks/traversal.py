"""what_delivers on a generated portfolio, against networkx and a SPARQL property path.

Every figure is a ratio against a baseline measured in the same process on the
same data:

- ``vs_networkx``: our traversal time / networkx ``ancestors`` + kind filter (lower is better);
- ``sparql_vs_ours``: the SPARQL property-path query's time / ours (higher is better).

    python -m benchmarks.traversal --projects 10000
"""

from __future__ import annotations

import platform
import statistics
import tempfile
import time
from collections.abc import Callable

import networkx as nx

from benchmarks import command
from benchmarks.generate import generate
from valuegraph.graph import ValueGraph, kernels, open_store, traversal
from valuegraph.graph.terms import entity_iri
from valuegraph.loaders import validate_mapping
from valuegraph.schema import vocabulary
from valuegraph.graph.questions import Questions


def best_time(fn: Callable[[], object], repeat: int, warm_up: bool = True) -> float:
    """Median of ``repeat`` timed runs, after one warm-up run unless told not to."""
    if warm_up:
        fn()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def networkx_graph(graph: ValueGraph) -> nx.DiGraph:
    index = graph.index
    src, dst, _ = index.value.arrays()
    g = nx.DiGraph()
    g.add_nodes_from((i, {"kind": index.kind_names[k]}) for i, k in enumerate(index.kind[: index.size].tolist()))
    g.add_edges_from(zip(src.tolist(), dst.tolist(), strict=True))
    return g


def sparql_query(target: str) -> str:
    vocab = vocabulary()
    path = "|".join(f"<{r.iri}>" for r in vocab.relations.values() if r.value_chain)
    kinds = ", ".join(f"<{vocab.kinds[k].iri}>" for k in traversal.DELIVERY_KINDS)
    return (f"SELECT DISTINCT ?w WHERE {{ ?w ({path})+ {entity_iri(target)} . ?w a ?k . "
            f"FILTER(?k IN ({kinds})) }}")


def pick_targets(graph: ValueGraph) -> dict[str, str]:
    """A goal, a mid-level objective and a leaf key result, each delivered by something."""
    index = graph.index
    chosen = {}
    for label, prefix in (("goal", "G-"), ("objective", "OBJ-"), ("key result", "KR-SUB-")):
        candidates = [i for i in index.ids if i.startswith(prefix)]
        chosen[label] = max(candidates[:200], key=lambda i: len(traversal.what_delivers(index, i)))
    return chosen


def run(projects: int, repeat: int, store_url: str | None = None) -> dict:
    docs = [validate_mapping(d, d["source"]) for d in generate(projects)]
    with tempfile.TemporaryDirectory() as tmp:
        graph = ValueGraph(open_store(store_url or f"oxigraph:{tmp}/store"))
        started = time.perf_counter()
        for doc in docs:
            graph.sync(doc)
        load_seconds = time.perf_counter() - started
        kernels.load_compiled(wait=True)  # a server's search, as it answers once started
        nxg = networkx_graph(graph)
        delivery_kinds = set(traversal.DELIVERY_KINDS)
        rows = []
        for label, target in pick_targets(graph).items():
            t = graph.index.number[target]
            ours = best_time(lambda target=target: traversal.what_delivers(graph.index, target), repeat)
            with_records = best_time(lambda target=target: Questions(graph).what_delivers(target).hits, max(3, repeat // 4))
            networkx = best_time(lambda t=t: [n for n in nx.ancestors(nxg, t) if nxg.nodes[n]["kind"] in delivery_kinds],
                                 repeat)
            query = sparql_query(target)
            sparql = best_time(lambda query=query: list(graph.store.sparql(query)), max(3, repeat // 10))
            found = len(traversal.what_delivers(graph.index, target))
            rows.append({"target": label, "id": target, "delivered_by": found, "ours_s": ours,
                         "ours_with_records_s": with_records, "networkx_s": networkx, "sparql_path_s": sparql,
                         "vs_networkx": ours / networkx, "sparql_vs_ours": sparql / ours})
        stats = Questions(graph).stats().as_dict()
        graph.close()
    return {
        "projects": projects,
        "entities": sum(stats["entities"].values()),
        "relations": sum(stats["relations"].values()),
        "load_seconds": load_seconds,
        "machine": {"python": platform.python_version(), "processor": platform.machine(), "system": platform.system()},
        "rows": rows,
        "vs_networkx": max(r["vs_networkx"] for r in rows),
        "sparql_vs_ours": min(r["sparql_vs_ours"] for r in rows),
    }


def main() -> None:
    parser = command.parser(__doc__)
    parser.add_argument("--projects", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=40)
    args = parser.parse_args()
    result = run(args.projects, args.repeat)
    print(f"{result['projects']} projects, {result['entities']} entities, {result['relations']} relations "
          f"(loaded in {result['load_seconds']:.1f} s)")
    print(f"{'target':<12} {'delivered by':>12} {'ours':>10} {'networkx':>10} {'sparql path':>12} "
          f"{'ours/networkx':>14} {'sparql/ours':>12}")
    for r in result["rows"]:
        print(f"{r['target']:<12} {r['delivered_by']:>12} {r['ours_s'] * 1e3:>8.2f}ms {r['networkx_s'] * 1e3:>8.2f}ms "
              f"{r['sparql_path_s'] * 1e3:>10.1f}ms {r['vs_networkx']:>14.2f} {r['sparql_vs_ours']:>12.0f}")
    print(f"worst ours/networkx: {result['vs_networkx']:.2f} (target <= 0.3); "
          f"worst sparql/ours: {result['sparql_vs_ours']:.0f} (target >= 20)")
    command.write_json(args, result)


if __name__ == "__main__":
    main()
