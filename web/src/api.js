// The pages' one way to the data: POST /graphql with the session cookie and its CSRF token.

export function csrfToken() {
  for (const part of document.cookie.split(";")) {
    const [name, ...value] = part.trim().split("=");
    if (name === "vg_csrf") return decodeURIComponent(value.join("="));
  }
  return "";
}

export function signInUrl() {
  return "/signin?next=" + encodeURIComponent(location.pathname + location.search);
}

export class ApiError extends Error {}

function send(body) {
  return fetch("/graphql", {
    method: "POST",
    credentials: "same-origin",
    headers: { "content-type": "application/json", accept: "application/json", "X-CSRF-Token": csrfToken() },
    body,
  });
}

/** Sends a query now, for the page's script to read later as the answer to the same query (see first-query.js). */
export function start(query, variables) {
  const body = JSON.stringify({ query, variables });
  const response = send(body);
  response.catch(() => {}); // a failure is the page's to report, when it reads the answer
  window.vgStarted = { body, response };
}

/** The response to `body` if it was started (once: a later asking of the same query asks the server again). */
function started(body) {
  const early = window.vgStarted;
  if (!early || early.body !== body) return null;
  window.vgStarted = null;
  return early.response;
}

async function post(query, variables) {
  const sent = JSON.stringify({ query, variables });
  const response = await (started(sent) || send(sent));
  if (response.status === 401) {
    location.assign(signInUrl());
    throw new ApiError("sign in first");
  }
  const text = await response.text();
  let body;
  try {
    body = JSON.parse(text);
  } catch {
    throw new ApiError(`the server answered ${response.status}: ${text.slice(0, 200)}`);
  }
  return body;
}

/** The data of a query; an error when the server reports one. */
export async function query(text, variables = {}) {
  const body = await post(text, variables);
  if (body.errors && body.errors.length) throw new ApiError(body.errors.map((e) => e.message).join("; "));
  return body.data;
}

/** The data of a query of fields this server may not have yet (a validation error gives null). */
export async function optional(text, variables = {}) {
  try {
    const body = await post(text, variables);
    return body.errors && body.errors.length ? null : body.data;
  } catch (error) {
    if (error instanceof ApiError) return null;
    throw error;
  }
}

/** The types whose fields pages check before asking for newer ones, read in one request. */
const CHECKED_TYPES = ["DeliverySummary", "Query"];
let schemaFields = null;

/** Of `wanted`, the fields the server's type has: pages ask for newer fields only where they exist. */
export async function fieldsOf(typeName, wanted) {
  if (schemaFields === null) {
    const selection = CHECKED_TYPES.map((t) => `${t}: __type(name: "${t}") { fields { name } }`).join(" ");
    // a server that refuses introspection gets the fields every version has
    schemaFields = optional(`{ ${selection} }`).then((data) =>
      new Map(CHECKED_TYPES.map((t) => [t, new Set((data?.[t]?.fields || []).map((f) => f.name))])));
  }
  const known = (await schemaFields).get(typeName) || new Set();
  return wanted.filter((name) => known.has(name));
}
