"""Settings in one place, from the environment (VALUEGRAPH_*) or a .env file."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from valuegraph.api.auth import ApiKeyConfig

DEFAULT_STORE = "oxigraph:./valuegraph-data"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="VALUEGRAPH_", env_file=".env", extra="ignore")

    store: str = Field(DEFAULT_STORE, description="Store URL: memory:, oxigraph:PATH")
    host: str = Field("127.0.0.1", description="Address `valuegraph serve` listens on")
    port: int = Field(8000, description="Port `valuegraph serve` listens on")

    api_keys: list[ApiKeyConfig] = Field([], description="API keys as JSON: [{name, hash, scopes, sources}]")
    api_keys_file: Path | None = Field(None, description="A YAML or JSON file listing API keys")

    max_query_depth: int = Field(12, description="Deepest GraphQL selection accepted")
    max_aliases: int = Field(30, description="Most aliases in one GraphQL document")
    max_tokens: int = Field(5000, description="Most tokens in one GraphQL document")
    max_first: int = Field(500, description="Largest page (`first`) a connection serves")
    max_paths: int = Field(100, description="Most paths (`limit`) one field answers")
    subscription_poll_seconds: float = Field(0.5, gt=0, description="How often a GraphQL subscription looks for "
                                                                 "new revisions")
    max_body_bytes: int = Field(20 * 1024 * 1024, description="Largest sync body accepted")
    cypher_timeout_seconds: float = Field(10.0, description="Longest a read-only Cypher query may run")
    cypher_max_rows: int = Field(1000, description="Most rows a Cypher query returns")
    sparql_timeout_seconds: float = Field(10.0, description="Longest a SPARQL query may run")
    sparql_max_rows: int = Field(10000, description="Most rows (or triples) a SPARQL query returns")

    neo4j_user: str = Field("neo4j", description="Neo4j user, unless the store URL names one")
    neo4j_password: str = Field("valuegraph-dev", description="Neo4j password, unless the store URL gives one")

    log_level: str = "INFO"
    log_json: bool = Field(True, description="Structured JSON logs (false: plain text)")
