// GraphiQL from the graphiql package, bundled: nothing is loaded from a CDN.
import { GraphiQL } from "graphiql";
import { createRoot } from "react-dom/client";
import "graphiql/graphiql.css";
import examples from "./examples.json";
import { csrfToken, signInUrl } from "./api.js";

// headers typed in GraphiQL's headers editor (e.g. an Authorization of an API key) go with the session's
async function fetcher(params, options = {}) {
  const response = await fetch("/graphql", {
    method: "POST",
    credentials: "same-origin",
    headers: {
      ...(options.headers || {}),
      "content-type": "application/json",
      accept: "application/json",
      "X-CSRF-Token": csrfToken(),
    },
    body: JSON.stringify(params),
  });
  if (response.status === 401) {
    location.assign(signInUrl());
    return { errors: [{ message: "sign in first" }] };
  }
  return response.json();
}

const tabs = examples.map((example) => ({ query: example.query }));
createRoot(document.getElementById("graphiql")).render(
  <GraphiQL fetcher={fetcher} defaultQuery={examples[0].query} defaultTabs={tabs} defaultEditorToolsVisibility={false} />,
);
