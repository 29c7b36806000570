// The peer: the Neo4j GraphQL Library (@neo4j/graphql) over the same Neo4j
// database zeren reads, served by node's own HTTP server (no framework, so the
// figures are the library's, not a web framework's). One route: POST /graphql
// with {"query", "variables"}. Started by benchmarks/run.py; settings from the
// environment: NEO4J_URI, NEO4J_USER, NEO4J_PASSWORD, NEO4J_DATABASE, PORT.
// It prints "PEER READY <port>" once the schema is built and the database answers.
import http from "node:http";
import { Neo4jGraphQL } from "@neo4j/graphql";
import { graphql } from "graphql";
import neo4j from "neo4j-driver";
import { typeDefs } from "./typedefs.mjs";

const env = process.env;
const driver = neo4j.driver(env.NEO4J_URI, neo4j.auth.basic(env.NEO4J_USER ?? "neo4j", env.NEO4J_PASSWORD ?? ""));
const database = env.NEO4J_DATABASE ?? "neo4j";
await driver.verifyConnectivity({ database });
const schema = await new Neo4jGraphQL({ typeDefs, driver }).getSchema();

const server = http.createServer((req, res) => {
  if (req.method !== "POST" || req.url !== "/graphql") {
    res.writeHead(404, { "content-type": "text/plain" }).end("POST /graphql only\n");
    return;
  }
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", async () => {
    let body;
    try {
      const { query, variables } = JSON.parse(Buffer.concat(chunks).toString("utf8"));
      const result = await graphql({ schema, source: query, variableValues: variables,
                                     contextValue: { sessionConfig: { database } } });
      body = JSON.stringify(result);
    } catch (e) {
      body = JSON.stringify({ errors: [{ message: String(e) }] });
    }
    res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
    res.end(body);
  });
});
server.keepAliveTimeout = 120_000;
const port = Number(env.PORT ?? 0);
server.listen(port, "127.0.0.1", () => console.log(`PEER READY ${server.address().port}`));
const stop = () => server.close(() => driver.close().then(() => process.exit(0)));
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
