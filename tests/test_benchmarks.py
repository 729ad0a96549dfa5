"""The benchmark suite cannot rot: a small run writes every ratio; the generator is deterministic and valid."""

from __future__ import annotations

import json
import statistics
import subprocess
import sys

import orjson

from benchmarks.__main__ import TARGETS
from benchmarks.generate import generate
from benchmarks.peers import KEYS as PEER_KEYS
from valuegraph.loaders import validate_mapping
from tests.conftest import ROOT


def test_generator_is_deterministic_and_valid():
    first, again, other = generate(300, seed=5), generate(300, seed=5), generate(300, seed=6)
    assert orjson.dumps(first) == orjson.dumps(again)
    assert orjson.dumps(first) != orjson.dumps(other)
    for raw in first:
        assert validate_mapping(raw, raw["source"]).errors == []


def test_smoke_run_writes_every_ratio(tmp_path):
    out = tmp_path / "s.json"
    done = subprocess.run([sys.executable, "-m", "benchmarks", "--scale", "S", "--json", str(out)], cwd=ROOT,
                          capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr
    result = json.loads(out.read_text())
    suite = set(TARGETS) - set(PEER_KEYS)  # the peers' keys come with --peers only (tests/test_peers.py)
    assert suite <= result.keys() and {"scale", "backend", "machine", "raw"} <= result.keys()
    assert not set(PEER_KEYS) & result.keys() and "peers" not in result["raw"]
    for name in suite:
        if name != "neo4j_ingest_vs_unwind":  # needs --backend neo4j
            assert isinstance(result[name], (int, float)) and result[name] > 0, name
    assert all(name in done.stdout for name in suite)
    # the ingest ratio is the median of three interleaved rounds, each timed
    rounds = result["raw"]["ingest_rounds"]
    assert len(rounds) == 3 and all(r["ingest_s"] > 0 and r["bulk_load_s"] > 0 for r in rounds)
    assert result["ingest_vs_bulk_load"] == statistics.median(r["bulk_load_s"] / r["ingest_s"] for r in rounds)
    # the engine-only endpoint served our exact answer (checked by the run) and was timed
    assert result["raw"]["graphql_engine_only_s"] > 0 and "graphql-core alone" in done.stdout
