"""``valuegraph serve`` against its peers on the same Neo4j: the Neo4j GraphQL Library and plain Cypher.

    python -m benchmarks --scale M --backend neo4j --peers      (in the whole suite)
    python -m benchmarks.peers --scale S [--url bolt://…]        (these figures alone)

The generated portfolio is loaded into Neo4j as ``valuegraph load`` writes it. Two servers are started as
processes on free loopback ports, against that database: ``valuegraph serve`` and the peer, the Neo4j
GraphQL Library (``@neo4j/graphql`` 7 on Apollo Server 5, benchmarks/peer/: type definitions for the labels
and relationship types valuegraph writes, the delivery question as a ``@cypher`` field with a ``SHORTEST``
path match). Both must answer the three questions with the same content before anything is timed (a
difference stops the run, with a diff):

- q1 ``whatDelivers`` of the goal delivered by the most, first 100, with each one's path length;
- q2 an objective, its key results and what contributes to each (projects with status and budget);
- q3 a project, its programme and the programme's portfolio.

q2 and q3 go round eight objectives and eight projects (the first by id that have key results, or a
programme), so a round is not one answer asked again. Then rounds, interleaved (each round times every
question at 1 and at 8 concurrent clients on both servers, the order of the servers alternating), each
measurement a fixed time of requests, requests per second counted. Requests are plain POSTs: no caching
headers (no ``If-None-Match``), so no response cache answers for either. valuegraph serve logs at WARNING
(the peer logs no requests either).

Keys (ratios of medians over the rounds; min and median of the per-round ratios in ``raw.peers``):

- ``peer_neo4j_graphql_q1`` … ``_q3``: valuegraph's requests/s ÷ the peer's, 8 clients; ``…_c1``: 1 client;
- ``concurrency_scaling``: valuegraph's requests/s at 8 clients ÷ at 1 client, q3;
- ``peer_cypher_delivers``: the delivery question as plain Cypher through the Python driver (every answer,
  with distances) ÷ ``Questions.what_delivers`` in this process with the record cache emptied, q1's goal,
  the process set as a server is once started (the compiled search loaded, what it holds frozen out of the
  collector's walks: graph/pause.py);
- ``startup_vs_peer``: valuegraph serve's process start to its first answered q1 ÷ the peer's, the median of
  the per-round ratios over ``--startup-rounds`` rounds (each server started alone and stopped, the first to
  start alternating; every round in ``raw.startups``);
- ``startup_floor_vs_peer`` (reported, no target): the same for the stack's floor — a server of FastAPI,
  strawberry, the Neo4j driver, numpy and uvicorn answering one Cypher read, none of valuegraph's code
  (benchmarks/stack_floor.py): how near the peer's start any server on valuegraph's stack gets here;
- ``rss_vs_peer``: resident memory (the process and its children, /proc) after the warm-up, valuegraph ÷ peer.

The keys are null, with a message, when Neo4j does not answer or the peer is not installed
(``npm ci --prefix benchmarks/peer``).
"""

from __future__ import annotations

import asyncio
import difflib
import os
import statistics
import time

import httpx
import neo4j
import orjson

from benchmarks import command
from benchmarks.generate import SCALES, generate
from benchmarks.peer_questions import (CYPHER_DELIVERS, AnswersDiffer, PeersUnavailable, Question, pick_targets,
                                       questions)
from benchmarks.peer_servers import Server, check_peer_installed, log_tail, start_both, time_startups
from valuegraph.graph import StoreUnavailable, ValueGraph, kernels, open_store
from valuegraph.graph.pause import collector_paused, freeze_started_process
from valuegraph.graph.questions import Questions
from valuegraph.loaders import validate_mapping

KEYS = ("peer_neo4j_graphql_q1", "peer_neo4j_graphql_q2", "peer_neo4j_graphql_q3", "peer_neo4j_graphql_q1_c1",
        "peer_neo4j_graphql_q2_c1", "peer_neo4j_graphql_q3_c1", "concurrency_scaling", "peer_cypher_delivers",
        "startup_vs_peer", "startup_floor_vs_peer", "rss_vs_peer")
CLIENTS = (1, 8)
#: rounds of starting each server alone (a start swings by a third on a shared machine: runs of eight or nine
#: medians moved by a tenth from run to run, runs of twelve by about 0.08; sixteen rounds add some 30 s)
STARTUP_ROUNDS = 16
#: seconds each measurement sends requests for, by scale
MEASURE_SECONDS = {"S": 1.0, "M": 2.0, "L": 3.0}


# ---------------------------------------------------------------- answers, then timing


def _data(response: httpx.Response, server: str, body: dict) -> dict:
    if response.status_code != 200:
        raise AnswersDiffer(f"{server} answers {response.status_code} to {body}: {response.text[:500]}")
    payload = response.json()
    if payload.get("errors") or payload.get("data") is None:
        raise AnswersDiffer(f"{server} answers {body} with errors: {payload.get('errors')}")
    return payload["data"]


def answer(server: Server, body: dict) -> dict:
    """The data of ``server``'s answer to one request (an error answer raises ``AnswersDiffer``)."""
    return _data(httpx.post(server.url, json=body, timeout=120), server.name, body)


def _pretty(value: object) -> list[str]:
    return orjson.dumps(value, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS).decode().splitlines()


def check_answers(ours: Server, peer: Server, asked: list[Question]) -> dict[str, int]:
    """Both servers' answers to every request of every question, compared by content; raises
    ``AnswersDiffer`` (with a diff) at the first difference or an empty answer. How many answers were
    compared per question."""
    compared: dict[str, int] = {}
    with httpx.Client(timeout=120) as client:
        for question in asked:
            for ours_body, peer_body in zip(question.ours, question.peer, strict=True):
                mine = question.ours_content(_data(client.post(ours.url, json=ours_body), ours.name, ours_body))
                theirs = question.peer_content(_data(client.post(peer.url, json=peer_body), peer.name, peer_body))
                if not mine:
                    raise AnswersDiffer(f"{question.name}: valuegraph answers nothing to {ours_body}: nothing "
                                        "is compared")
                if mine != theirs:
                    diff = "\n".join(difflib.unified_diff(_pretty(mine), _pretty(theirs), "valuegraph", "peer",
                                                          lineterm="", n=2))
                    raise AnswersDiffer(f"{question.name}: the answers to {ours_body['variables']} differ:\n{diff}")
                compared[question.name] = compared.get(question.name, 0) + 1
    return compared


async def _drive(url: str, bodies: list[dict], clients: int, seconds: float) -> float:
    """Requests per second that ``clients`` concurrent clients get, each sending the next body as soon as
    its last answer came, for ``seconds`` (every answer must be a 200 without errors)."""
    async with httpx.AsyncClient(timeout=120, limits=httpx.Limits(max_connections=clients)) as client:
        await asyncio.gather(*(client.post(url, json=bodies[i % len(bodies)]) for i in range(clients)))  # connect
        done = 0
        started = time.perf_counter()
        deadline = started + seconds
        finished = started

        async def client_loop(offset: int) -> None:
            nonlocal done, finished
            i = offset
            while time.perf_counter() < deadline:
                response = await client.post(url, json=bodies[i % len(bodies)])
                if response.status_code != 200 or b'"errors"' in response.content:
                    raise AnswersDiffer(f"{url} failed under load: {response.status_code} {response.text[:300]}")
                done += 1
                finished = time.perf_counter()
                i += clients

        await asyncio.gather(*(client_loop(c) for c in range(clients)))
        return done / (finished - started)


async def measure_rounds(ours: Server, peer: Server, asked: list[Question], rounds: int, seconds: float) -> tuple[dict, dict]:
    """Requests per second of every round, by question, clients and server; and each server's resident
    memory after the warm-up."""
    rates: dict = {q.name: {c: {"valuegraph": [], "peer": []} for c in CLIENTS} for q in asked}
    for question in asked:  # warm-up: every body, both servers, untimed
        for clients in CLIENTS:
            await _drive(ours.url, question.ours, clients, seconds / 4)
            await _drive(peer.url, question.peer, clients, seconds / 4)
    memory = {"valuegraph_rss": ours.rss(), "peer_rss": peer.rss()}
    for r in range(rounds):
        for question in asked:
            sides = [(ours, question.ours), (peer, question.peer)]
            for clients in CLIENTS:
                for server, bodies in sides if r % 2 == 0 else sides[::-1]:  # who goes first alternates
                    rates[question.name][clients][server.name].append(await _drive(server.url, bodies, clients,
                                                                                   seconds))
    return rates, memory


def time_cypher_delivers(graph: ValueGraph, driver: neo4j.Driver, database: str, target: str,
                         repeat: int = 5) -> dict:
    """The delivery question through the Python driver as plain Cypher, and through valuegraph in this
    process with its record cache emptied before each run (medians; one warm-up each). Their answers
    (ids, names, kinds, distances, in order) must be the same."""
    questions_ = Questions(graph)
    # as a server answers once started: the compiled search loaded, what it holds left out of collections
    kernels.load_compiled(wait=True)
    freeze_started_process()

    def cypher() -> list[tuple]:
        records, _, _ = driver.execute_query(CYPHER_DELIVERS, target=target, database_=database,
                                             routing_=neo4j.RoutingControl.READ)
        return [tuple(r.values()) for r in records]

    def ours() -> list[tuple]:
        return [(h.entity.id, h.entity.name, h.entity.kind, h.distance) for h in questions_.what_delivers(target).hits]

    if cypher() != ours():
        theirs, mine = cypher(), ours()
        diff = "\n".join(difflib.unified_diff([repr(x) for x in mine], [repr(x) for x in theirs], "valuegraph",
                                              "cypher", lineterm="", n=1))
        raise AnswersDiffer(f"plain Cypher and what_delivers answer {target} differently:\n{diff[:4000]}")
    cypher_times, ours_times = [], []
    for _ in range(repeat):
        started = time.perf_counter()
        cypher()
        cypher_times.append(time.perf_counter() - started)
        graph.forget_records()
        started = time.perf_counter()
        ours()
        ours_times.append(time.perf_counter() - started)
    return {"cypher_delivers_s": statistics.median(cypher_times), "ours_delivers_s": statistics.median(ours_times),
            "cypher_delivers_runs_s": cypher_times, "ours_delivers_runs_s": ours_times}


# ---------------------------------------------------------------- the whole comparison


def load(url: str, user: str, password: str, projects: int) -> None:
    """The generated portfolio into the (emptied) Neo4j database, as `valuegraph load` writes it."""
    store = open_store(url, user=user, password=password)
    store.clear()  # before the graph reads the store: its index is of the emptied database
    graph = ValueGraph(store)
    try:
        with collector_paused():
            for raw in generate(projects):
                graph.sync(validate_mapping(raw, raw["source"]))
    finally:
        graph.close()


def _ratio_summary(ours: list[float], peer: list[float]) -> dict:
    per_round = [o / p for o, p in zip(ours, peer, strict=True)]
    return {"ratio": statistics.median(ours) / statistics.median(peer), "round_min": min(per_round),
            "round_median": statistics.median(per_round), "valuegraph_rps": ours, "peer_rps": peer}


def compare(url: str, user: str, password: str, *, rounds: int, seconds: float,
            startup_rounds: int = STARTUP_ROUNDS) -> dict:
    """Every key over the portfolio already in Neo4j: ``{"keys": {...}, "raw": {...}}``. Both servers'
    answers are compared before any time but their start-up's is taken."""
    driver = neo4j.GraphDatabase.driver(url, auth=(user, password))
    graph = ValueGraph(open_store(url, user=user, password=password))
    started = None
    try:
        database = graph.store.database
        targets = pick_targets(graph, driver, database)
        raw: dict = {"goal": targets.goal, "delivered_by": targets.delivered_by, "objectives": targets.objectives,
                     "projects": targets.projects, "rounds": rounds, "seconds_per_measurement": seconds}
        asked = questions(targets)
        startups = time_startups(url, user, password, targets, startup_rounds)
        started = start_both(url, user, password, targets)
        ours, peer = started.ours, started.peer
        # the start of the servers that are then timed, valuegraph's beside a running peer, counts only
        # when there are no rounds of starts alone
        raw["startups"] = startups or [{"peer": peer.first_answer_s, "valuegraph": ours.first_answer_s}]
        raw.update(valuegraph_first_answer_s=statistics.median(s["valuegraph"] for s in raw["startups"]),
                   peer_first_answer_s=statistics.median(s["peer"] for s in raw["startups"]))
        if startups:
            raw["floor_first_answer_s"] = statistics.median(s["floor"] for s in startups)
        raw["answers_compared"] = check_answers(ours, peer, asked)
        raw.update(time_cypher_delivers(graph, driver, database, targets.goal))  # the servers idle meanwhile
        rates, memory = asyncio.run(measure_rounds(ours, peer, asked, rounds, seconds))
        raw.update(memory, valuegraph_rss_after_rounds=ours.rss(), peer_rss_after_rounds=peer.rss())
        for server in (ours, peer):
            if server.process.poll() is not None:
                raise PeersUnavailable(f"{server.name} stopped during the rounds:\n{log_tail(server.log)}")
    finally:
        if started is not None:
            started.stop()
        graph.close()
        driver.close()
    keys: dict = {}
    for question in asked:
        for clients in CLIENTS:
            summary = _ratio_summary(rates[question.name][clients]["valuegraph"], rates[question.name][clients]["peer"])
            raw[f"{question.name}_c{clients}"] = summary
            keys[f"peer_neo4j_graphql_{question.name}" + ("" if clients == 8 else f"_c{clients}")] = summary["ratio"]
    q3 = rates["q3"]
    keys["concurrency_scaling"] = statistics.median(q3[8]["valuegraph"]) / statistics.median(q3[1]["valuegraph"])
    raw["peer_concurrency_scaling"] = statistics.median(q3[8]["peer"]) / statistics.median(q3[1]["peer"])
    keys["peer_cypher_delivers"] = raw["cypher_delivers_s"] / raw["ours_delivers_s"]
    keys["startup_vs_peer"] = statistics.median(s["valuegraph"] / s["peer"] for s in raw["startups"])
    floors = [s["floor"] / s["peer"] for s in raw["startups"] if "floor" in s]
    keys["startup_floor_vs_peer"] = statistics.median(floors) if floors else None
    keys["rss_vs_peer"] = raw["valuegraph_rss"] / raw["peer_rss"]
    return {"keys": {k: keys[k] for k in KEYS}, "raw": raw}


def run(url: str, user: str, password: str, *, scale: str, rounds: int, loaded: bool = False,
        startup_rounds: int = STARTUP_ROUNDS) -> dict:
    """The keys (null with ``raw["error"]`` when the peers cannot run) and ``raw``. ``loaded``: the
    portfolio of ``scale`` is in Neo4j already; it is loaded otherwise. The database is emptied after."""
    try:
        check_peer_installed()
        if not loaded:
            load(url, user, password, SCALES[scale])
        result = compare(url, user, password, rounds=rounds, seconds=MEASURE_SECONDS[scale],
                         startup_rounds=startup_rounds)
    except PeersUnavailable as exc:
        return {"keys": dict.fromkeys(KEYS), "raw": {"error": str(exc)}}
    except (StoreUnavailable, neo4j.exceptions.ServiceUnavailable) as exc:
        return {"keys": dict.fromkeys(KEYS), "raw": {"error": f"Neo4j at {url} does not answer: {exc}"}}
    finally:
        try:
            open_store(url, user=user, password=password).clear()
        except Exception:  # noqa: BLE001 - the store may be the very thing that is missing
            pass
    return result


def report(raw: dict) -> list[str]:
    """Lines for the console from the comparison's ``raw``: each question's rates, with the spread of the
    rounds' ratios."""
    if "error" in raw:
        return [f"  peers not measured: {raw['error']}"]
    lines = [f"  peers: goal {raw['goal']} ({raw['delivered_by']:,} deliverers), {raw['rounds']} rounds of "
             f"{raw['seconds_per_measurement']:g} s per measurement; answers the same ({raw['answers_compared']})"]
    for name in ("q1", "q2", "q3"):
        for clients in CLIENTS:
            s = raw[f"{name}_c{clients}"]
            ours, peer = statistics.median(s["valuegraph_rps"]), statistics.median(s["peer_rps"])
            lines.append(f"    {name} at {clients} client{'s' if clients > 1 else ' '}: valuegraph {ours:7.1f} req/s, "
                         f"peer {peer:7.1f} req/s; rounds min {s['round_min']:.2f}, median {s['round_median']:.2f}")
    floor = f", the stack's floor {raw['floor_first_answer_s']:.2f} s" if "floor_first_answer_s" in raw else ""
    lines += [f"    delivery question in process {raw['ours_delivers_s'] * 1e3:.1f} ms (records read), plain Cypher "
              f"{raw['cypher_delivers_s'] * 1e3:.1f} ms",
              f"    first answer (median of {len(raw['startups'])} starts): valuegraph "
              f"{raw['valuegraph_first_answer_s']:.2f} s, peer {raw['peer_first_answer_s']:.2f} s{floor}; "
              f"RSS {raw['valuegraph_rss'] / 2**20:.0f} MB against "
              f"{raw['peer_rss'] / 2**20:.0f} MB; the peer's own q3 scaling {raw['peer_concurrency_scaling']:.2f}"]
    return lines


def main() -> None:
    parser = command.parser(__doc__)
    parser.add_argument("--scale", choices=SCALES, default="S")
    parser.add_argument("--url", default=os.environ.get("VALUEGRAPH_TEST_NEO4J_URL", "bolt://127.0.0.1:7687"))
    parser.add_argument("--rounds", type=int, default=12, help="interleaved rounds of timing")
    parser.add_argument("--startup-rounds", type=int, default=STARTUP_ROUNDS,
                        help="rounds of starting and stopping each server alone (startup_vs_peer is their median "
                             "ratio)")
    args = parser.parse_args()
    if args.rounds < 1 or args.startup_rounds < 0:
        parser.error("--rounds must be at least 1, --startup-rounds at least 0")
    result = run(args.url, os.environ.get("VALUEGRAPH_NEO4J_USER", "neo4j"),
                 os.environ.get("VALUEGRAPH_NEO4J_PASSWORD", "valuegraph-dev"), scale=args.scale, rounds=args.rounds,
                 startup_rounds=args.startup_rounds)
    for name, value in result["keys"].items():
        print(f"  {name:<30} {'n/a' if value is None else f'{value:,.3g}':>10}")
    print("\n".join(report(result["raw"])))
    command.write_json(args, result)


if __name__ == "__main__":
    main()
