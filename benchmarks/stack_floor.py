"""The least a GraphQL server on valuegraph's stack takes to start, without any of valuegraph's own code.

It imports what ``valuegraph serve`` cannot do without: FastAPI, strawberry (with graphql-core), the Neo4j
driver, numpy and uvicorn (with uvloop and httptools, as ours). It answers one field with one Cypher read.
The peers' comparison starts it as it starts the two servers. ``startup_floor_vs_peer`` is the first answer
of this server over the peer's: how close to the peer's start any server on this stack can get on this
machine.

    VALUEGRAPH_STORE=bolt://127.0.0.1:7687 VALUEGRAPH_NEO4J_USER=neo4j VALUEGRAPH_NEO4J_PASSWORD=… \\
        VALUEGRAPH_PORT=8001 python -m benchmarks.stack_floor
"""

from __future__ import annotations

import os

import neo4j
import numpy  # noqa: F401 -- imported as valuegraph's traversal index imports it
import strawberry
import uvicorn
from fastapi import FastAPI
from strawberry.fastapi import GraphQLRouter

#: the probe it answers (the entity's id as ``$target``, q1's variable)
PROBE = "query ($target: ID!) { entity(id: $target) { id name } }"


@strawberry.type
class Entity:
    id: strawberry.ID
    name: str


def create_app(driver: neo4j.Driver, database: str) -> FastAPI:
    @strawberry.type
    class Query:
        @strawberry.field
        def entity(self, id: strawberry.ID) -> Entity | None:
            records, _, _ = driver.execute_query("MATCH (n:Entity {id: $id}) RETURN n.id AS id, n.name AS name",
                                                 id=str(id), database_=database, routing_=neo4j.RoutingControl.READ)
            return Entity(id=records[0]["id"], name=records[0]["name"]) if records else None

    app = FastAPI()
    app.include_router(GraphQLRouter(strawberry.Schema(Query)), prefix="/graphql")
    return app


def main() -> None:
    url = os.environ["VALUEGRAPH_STORE"]
    auth = (os.environ.get("VALUEGRAPH_NEO4J_USER", "neo4j"), os.environ.get("VALUEGRAPH_NEO4J_PASSWORD", ""))
    with neo4j.GraphDatabase.driver(url, auth=auth) as driver:
        uvicorn.run(create_app(driver, "neo4j"), host="127.0.0.1", port=int(os.environ["VALUEGRAPH_PORT"]),
                    log_level="warning")


if __name__ == "__main__":
    main()
