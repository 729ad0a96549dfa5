"""Settings in one place, from the environment (VALUEGRAPH_*) or a .env file."""

from __future__ import annotations

from functools import cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_STORE = "oxigraph:./valuegraph-data"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="VALUEGRAPH_", env_file=".env", extra="ignore")

    store: str = Field(DEFAULT_STORE, description="Store URL: memory:, oxigraph:PATH, neo4j://… or bolt://…")
    neo4j_user: str = "neo4j"
    neo4j_password: str = "valuegraph-dev"


@cache
def settings() -> Settings:
    return Settings()
