"""Settings in one place, from the environment (VALUEGRAPH_*) or a .env file."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated

import datetime as dt

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from valuegraph.api.auth import ApiKeyConfig
from valuegraph.graph.history import parse_keep
from valuegraph.graph.precedence import Precedence

DEFAULT_STORE = "oxigraph:./valuegraph-data"
#: what a browser sends as Origin: scheme, host and perhaps a port
ORIGIN = re.compile(r"https?://[A-Za-z0-9.\-]+(:[0-9]{1,5})?|https?://\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?")


def host_name(host: str) -> str:
    """A host as a Host header names it: lower case, an IPv6 address in brackets."""
    host = host.strip().lower()
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="VALUEGRAPH_", env_file=".env", extra="ignore")

    store: str = Field(DEFAULT_STORE, description="Store URL: memory:, oxigraph:PATH")
    host: str = Field("127.0.0.1", description="Address `valuegraph serve` listens on")
    port: int = Field(8000, description="Port `valuegraph serve` listens on")
    workers: int | None = Field(
        None, ge=1, le=256, description="Processes `valuegraph serve` answers with (unset: one per core this "
                                        "process may use; a memory: store is always served by one)")
    index_cache: str | None = Field(
        None, description="Folder where traversal indexes are kept between runs, each marked with its store and "
                          "revision ('off': none kept; unset: beside an embedded store, and "
                          "$XDG_CACHE_HOME/valuegraph or ~/.cache/valuegraph for Neo4j)")

    api_keys: list[ApiKeyConfig] = Field([], description="API keys as JSON: [{name, hash, scopes, sources}]")
    api_keys_file: Path | None = Field(None, description="A YAML or JSON file listing API keys")

    trusted_hosts: Annotated[list[str] | None, NoDecode] = Field(
        None, description="Host names (comma-separated; '*.example.com' for subdomains, '*' for any) requests "
                          "may be sent to; unset: localhost, 127.0.0.1, ::1 and `host` without API keys, any with keys")
    cors_origins: Annotated[list[str], NoDecode] = Field(
        [], description="Origins (scheme://host[:port], comma-separated) whose pages may call the API with a "
                        "Bearer key (CORS, without credentials); unset: none")
    session_hours: float = Field(12.0, gt=0, description="How long a browser sign-in lasts (hours)")
    session_secret: SecretStr | None = Field(
        None, description="Secret that signs browser sessions (unset: a random one per process, so sessions end "
                          "when the server restarts); give every worker the same one")
    signin_max_failures: int = Field(5, ge=1, description="Failed sign-ins one client address may make in "
                                                          "`signin_failure_window_seconds` before it gets 429")
    signin_failure_window_seconds: float = Field(10.0, gt=0, description="The window of `signin_max_failures`")

    max_query_depth: int = Field(12, description="Deepest GraphQL selection accepted")
    max_aliases: int = Field(30, description="Most aliases in one GraphQL document")
    max_tokens: int = Field(5000, description="Most tokens in one GraphQL document")
    max_query_cost: int = Field(2000, ge=1, description="Most fields one GraphQL document selects, counted with "
                                                        "its fragments expanded")
    max_first: int = Field(500, description="Largest page (`first`) a connection serves")
    max_paths: int = Field(100, description="Most paths (`limit`) one field answers")
    subscription_poll_seconds: float = Field(0.5, gt=0, description="How often a GraphQL subscription looks for "
                                                                 "new revisions")
    persisted_queries_max: int = Field(1000, ge=0, description="Most persisted queries (Apollo's automatic "
                                                              "persisted queries) kept in memory; the least "
                                                              "recently used go first (0: none kept)")
    persisted_query_max_bytes: int = Field(20_000, ge=0, description="Longest query text kept as a persisted "
                                                                     "query (a longer one is answered, not kept)")
    max_body_bytes: int = Field(20 * 1024 * 1024, description="Largest sync body accepted")
    recipe_folder: Path | None = Field(
        None, description="A folder of recipes (NAME.yaml) that a file synced over REST may name (recipe=NAME), "
                          "beside the built-in ones; one of the same name as a built-in recipe is used instead "
                          "of it. Unset: the built-in recipes only")
    max_sync_errors: int = Field(100, ge=1, description="Most errors a rejected sync lists (all are counted, "
                                                        "in `errorCount`)")
    cypher_timeout_seconds: float = Field(10.0, description="Longest a read-only Cypher query may run")
    cypher_max_rows: int = Field(1000, description="Most rows a Cypher query returns")
    sparql_timeout_seconds: float = Field(10.0, description="Longest a SPARQL query may run")
    sparql_max_rows: int = Field(10000, description="Most rows (or triples) a SPARQL query returns")
    sparql_service_allow: Annotated[list[str], NoDecode] = Field(
        [], description="Endpoints (IRIs, comma-separated) a SPARQL query may call with SERVICE; unset: none, "
                        "and a query with SERVICE is refused")

    neo4j_user: str = Field("neo4j", description="Neo4j user, unless the store URL names one")
    neo4j_password: str = Field("valuegraph-dev", description="Neo4j password, unless the store URL gives one")

    history_keep: dt.timedelta | None = Field(
        None, description="How long revisions are kept in full, as 400d, 52w or 36h (unset: for ever); older "
                          "ones are compacted into a snapshot, and asking as of a point before it is an error")
    history_cache_mb: int = Field(256, ge=0, description="Memory that indexes of past revisions may take (MB)")
    precedence_file: Path | None = Field(
        None, description="A YAML file ranking sources per kind or kind's property, highest first (as in "
                          "`Objective: [strategy-office]`, `Project.budget: [finance, ppm-tool]`); unset: the "
                          "most recent sync's value is answered")

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _origins(cls, value):
        if isinstance(value, str):
            value = [part.strip() for part in value.split(",") if part.strip()]
        for origin in value:
            if not ORIGIN.fullmatch(origin):
                raise ValueError(f"{origin!r} is not an origin: expected scheme://host[:port] with scheme http or "
                                 f"https and nothing after the host (no path, no trailing slash, no '*')")
        return [origin.lower() for origin in value]

    @field_validator("trusted_hosts", mode="before")
    @classmethod
    def _hosts(cls, value):
        if isinstance(value, str):
            value = [part.strip() for part in value.split(",") if part.strip()]
        if value is None:
            return None
        for host in value:
            if "*" in host[1:] or (host.startswith("*") and host != "*" and not host.startswith("*.")):
                raise ValueError(f"{host!r} is not a host name: a wildcard is '*' alone or '*.example.com'")
        return [host_name(host) for host in value]

    @field_validator("sparql_service_allow", mode="before")
    @classmethod
    def _endpoints(cls, value):
        return [part.strip() for part in value.split(",") if part.strip()] if isinstance(value, str) else value

    @field_validator("precedence_file", "recipe_folder", mode="before")
    @classmethod
    def _unset_when_blank(cls, value):
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("history_keep", mode="before")
    @classmethod
    def _retention(cls, value):
        return parse_keep(value) if isinstance(value, str) and value.strip() else (value or None)

    def graph_options(self) -> dict:
        """What opening the graph takes from these settings (a precedence file that is not valid raises
        PrecedenceError, naming the file and the key)."""
        return {"user": self.neo4j_user, "password": self.neo4j_password, "history_keep": self.history_keep,
                "index_cache": self.index_cache,
                "history_cache_bytes": self.history_cache_mb * 2**20,
                "precedence": Precedence.load(self.precedence_file)}

    currency: str = Field("EUR", min_length=1, description="Currency of budgets and costs, for display "
                                                         "(GraphQL `display.currency`), e.g. EUR, GBP, USD")

    log_level: str = "INFO"
    log_json: bool = Field(True, description="Structured JSON logs (false: plain text)")
