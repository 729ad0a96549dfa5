"""The GraphQL-over-HTTP conformance audits of graphql-http (npm) against the live server."""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import pytest

from tests.utils.server import ROOT, serve_process

AUDIT = ROOT / "tests" / "graphql-http"


def test_no_must_audit_fails(sample_store_path, tmp_path):
    node = shutil.which("node")
    if node is None or not (AUDIT / "node_modules" / "graphql-http").is_dir():
        if os.environ.get("VALUEGRAPH_STRICT_TESTS"):
            pytest.fail("node and tests/graphql-http/node_modules are needed: `make test` installs them")
        pytest.skip("run through `make test`, which installs graphql-http")
    store = tmp_path / "store"
    shutil.copytree(sample_store_path, store)
    with serve_process(f"oxigraph:{store}") as url:
        done = subprocess.run([node, str(AUDIT / "audit.mjs"), url + "/graphql"], capture_output=True, text=True,
                              timeout=120, check=False)
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    assert done.returncode == 0, done.stdout + done.stderr
    assert summary["mustFailures"] == 0 and summary["ok"] >= 50, done.stdout
