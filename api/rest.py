"""The REST API's routers and the OpenAPI document that describes them, added to an app when a request first
needs them (api/deferred.py): a server answers its first GraphQL request without importing them (some 25 ms
of its start). Health checks and the pages are served from the start (api/app.py)."""

from __future__ import annotations

from fastapi import FastAPI

from valuegraph.api.openapi import install_openapi
from valuegraph.api.routers import changes, cypher, entities, export, signin, sparql, sync


def install_rest(app: FastAPI, keys_configured: bool) -> None:
    for module in (sync, changes, entities, cypher, export, sparql, signin):
        app.include_router(module.router)
    install_openapi(app, keys_configured=keys_configured)  # after every router: it describes them
