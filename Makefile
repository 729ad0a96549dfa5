# valuegraph: `make test` and `make demo` do all the set-up on a fresh machine.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install test contract bench demo clean neo4j neo4j-stop schema web chromium screenshots

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e '.[test,schedules]'
	touch $(STAMP)

install: $(STAMP)

AUDIT := tests/graphql-http

$(AUDIT)/node_modules/.package-lock.json: $(AUDIT)/package-lock.json
	npm ci --prefix $(AUDIT) --no-audit --no-fund --silent

# the benchmarks' peer (the Neo4j GraphQL Library on Apollo Server): `python -m benchmarks --peers` and its test
PEER := benchmarks/peer

$(PEER)/node_modules/.package-lock.json: $(PEER)/package-lock.json
	npm ci --prefix $(PEER) --no-audit --no-fund --silent

# the pages' npm project (web/): esbuild, the bundled libraries, and axe-core for the accessibility tests
WEB := web

$(WEB)/node_modules/.package-lock.json: $(WEB)/package-lock.json
	npm ci --prefix $(WEB) --no-audit --no-fund --silent

# rebuilds the pages and GraphiQL into api/static/ (committed: an install, `make test` and `make demo` need no node)
web: $(WEB)/node_modules/.package-lock.json
	npm run --prefix $(WEB) build

# Debian's chromium for the pages' tests (Playwright drives it; no browser is downloaded)
chromium:
	@command -v chromium >/dev/null || { if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y chromium; \
		else sudo apt-get update -qq && sudo apt-get install -y chromium; fi; }

# screenshots of / and an objective's page from the sample portfolio, for the README
screenshots: $(STAMP) chromium
	$(BIN)/python -m tests.utils.screenshots docs

# a local Neo4j Community server (bolt://127.0.0.1:7687, data in .neo4j/), fetched from Maven Central
neo4j:
	deploy/neo4j/neo4j.sh start

neo4j-stop:
	deploy/neo4j/neo4j.sh stop

test: $(STAMP) $(AUDIT)/node_modules/.package-lock.json $(WEB)/node_modules/.package-lock.json \
		$(PEER)/node_modules/.package-lock.json chromium neo4j
	VALUEGRAPH_STRICT_TESTS=1 $(BIN)/python -m pytest -q

# the served schema against the product contract beside the repository (../shared/contract): CI runs it too
contract: $(STAMP)
	$(BIN)/python -m pytest -q -m contract tests/test_graphql_contract.py

# the served GraphQL schema as SDL, for clients and code generators (a test checks it is current)
schema: $(STAMP)
	$(BIN)/python -m valuegraph.api.graphql.sdl > schema/valuegraph.graphql

bench: $(STAMP)
	$(BIN)/python -m benchmarks --scale M

DEMO_STORE := oxigraph:.demo/store

# loads the sample portfolio into a fresh store and serves the pages on http://127.0.0.1:8000/ (GraphiQL at /graphql)
demo: $(STAMP)
	rm -rf .demo
	$(BIN)/valuegraph load examples/strategy.yaml --store $(DEMO_STORE)
	$(BIN)/valuegraph load examples/ppm --source ppm-tool --store $(DEMO_STORE)
	$(BIN)/valuegraph serve --store $(DEMO_STORE) --host 127.0.0.1 --port 8000

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .hypothesis .demo $(AUDIT)/node_modules $(WEB)/node_modules \
		$(PEER)/node_modules
