// The peer of `valuegraph serve` in the benchmarks: the Neo4j GraphQL Library on Apollo Server, over the
// same Neo4j (schema.graphql holds the type definitions).
//
//   node server.mjs --url bolt://127.0.0.1:7687 --user neo4j --password valuegraph-dev --port 4000
//
// Each option may come from the environment instead (PEER_NEO4J_URL, PEER_NEO4J_USER, PEER_NEO4J_PASSWORD,
// PEER_PORT). It listens on 127.0.0.1 only and prints one line, `listening on URL`, once it serves.
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";

import { ApolloServer } from "@apollo/server";
import { startStandaloneServer } from "@apollo/server/standalone";
import { Neo4jGraphQL } from "@neo4j/graphql";
import neo4j from "neo4j-driver";

const { values } = parseArgs({
  options: {
    url: { type: "string", default: process.env.PEER_NEO4J_URL ?? "bolt://127.0.0.1:7687" },
    user: { type: "string", default: process.env.PEER_NEO4J_USER ?? "neo4j" },
    password: { type: "string", default: process.env.PEER_NEO4J_PASSWORD ?? "valuegraph-dev" },
    port: { type: "string", default: process.env.PEER_PORT ?? "4000" },
  },
});
const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`peer: --port must be a port number (0 to 65535), not ${JSON.stringify(values.port)}`);
  process.exit(2);
}

const typeDefs = readFileSync(new URL("./schema.graphql", import.meta.url), "utf8");
const driver = neo4j.driver(values.url, neo4j.auth.basic(values.user, values.password));
const schema = await new Neo4jGraphQL({ typeDefs, driver }).getSchema();
const server = new ApolloServer({ schema });
const { url } = await startStandaloneServer(server, { listen: { host: "127.0.0.1", port } });
console.log(`listening on ${url}`);

for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, async () => {
    await server.stop();
    await driver.close();
    process.exit(0);
  });
}
