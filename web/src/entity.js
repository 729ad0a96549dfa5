// `/entity/{id}`: one entity, with what delivers it or why it exists, drawn.
import { query } from "./api.js";
import { DISPUTES, answeredBy, disputedMark } from "./conflicts.js";
import { drawTrace, nodeFor, pathElements } from "./trace.js";
import { entityLink, h, kindLabel, money, number, painted, percent, ragBadge, table } from "./format.js";

/** Above this many deliverers the drawing groups them by programme. */
export const DRAW_LIMIT = 300;
const LIST_FIRST = 50;
/** Relations listed one by one at most (a target of thousands lists the first ones and says how many). */
const RELATIONS_SHOWN = 500;

const DELIVERY = "projects programmes byHealth { green amber red unknown } budget actualCost keyResultProgress "
  + "rag ragReason openBudget progress benefits { unit expected realised benefits } accountable { id name kind }";
const PEOPLE = "owners { id name kind } sponsors { id name kind }";
const WORK = "status health budget actualCost startDate endDate manager { id name kind } sponsors { id name kind }";

const PATH = "paths(limit: 1) { length nodes { id name kind } relations { type from { id } to { id } } }";
const DELIVERER = `item { id name kind ... on Project { health budget programme { id name } } ... on Programme { health budget } }`;
// what delivers a target: the closest with their paths, and its programmes for a summary when there are too many
const DELIVERED = `
  deliveredBy(first: $first) { totalCount pageInfo { hasNextPage endCursor } edges { node { ${DELIVERER} ${PATH} } } }
  projectCount: deliveredBy(kinds: [PROJECT], first: 1) { totalCount }
  programmes: deliveredBy(kinds: [PROGRAMME], first: 500) {
    totalCount edges { node { item { id name kind ... on Programme { projects { id } } } } }
  }`;

/** The first screen's one query: the entity with its figures and, for a target, what delivers it. */
export const FIRST = `query($id: ID!, $first: Int!) {
  display { currency }
  entity(id: $id) {
    id name kind sources
    ... on Objective { ${PEOPLE} delivery { ${DELIVERY} } ${DELIVERED} }
    ... on Goal { ${PEOPLE} delivery { ${DELIVERY} } ${DELIVERED} }
    ... on Project { ${WORK} progress programme { id name kind } }
    ... on Programme { ${WORK} }
  }
}`;

/** What follows the first screen: every property with its source, and the relations. */
const DETAILS = `query($id: ID!) {
  entity(id: $id) {
    id sources properties ${DISPUTES}
    history(first: 1000) { property source }
    out: relations(direction: OUT) { type to { id name kind } sources }
    in: relations(direction: IN) { type from { id name kind } sources }
  }
}`;

const NEXT_DELIVERERS = `query($id: ID!, $first: Int!, $after: String!) {
  whatDelivers(target: $id, first: $first, after: $after) {
    pageInfo { hasNextPage endCursor } edges { node { ${DELIVERER} ${PATH} } } }
}`;

const ALL_PATHS = `query($id: ID!, $first: Int!) {
  whatDelivers(target: $id, first: $first) { edges { node { item { id } ${PATH} } } }
}`;

export const WHY = `query($id: ID!) {
  whyExists(item: $id) { target { id name kind } ${PATH} }
  impact(item: $id) { dependents { id name kind } affected { id name kind } }
}`;

export function entityIdFromLocation() {
  const encoded = location.pathname.slice("/entity/".length);
  return decodeURIComponent(encoded);
}

/** The variables of the first query, from the URL (the page's shell starts the query with them: first-query.js). */
export function firstVariables() {
  return { id: entityIdFromLocation(), first: LIST_FIRST };
}

function show(value) {
  if (value === null || value === undefined) return "–";
  if (typeof value === "number") return number(value, 4);
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

function propertiesTable(entity) {
  const sourceOf = new Map();
  for (const change of entity.history || []) if (change.property) sourceOf.set(change.property, change.source);
  const rows = Object.entries(entity.properties || {}).sort(([a], [b]) => a.localeCompare(b))
    .map(([name, value]) => [name, [show(value), " ", disputedMark(entity.disputes, name, show)],
      answeredBy(entity.disputes, name) || sourceOf.get(name) || entity.sources.join(", ")]);
  return h("section", { testid: "properties" }, h("h2", {}, "Properties"),
    table(["Property", "Value", "Source"], rows),
    h("p", { class: "note" }, `Asserted by: ${entity.sources.join(", ") || "–"}`));
}

function relationsList(entity) {
  const items = [
    ...entity.out.map((r) => h("li", {}, `${r.type.toLowerCase().replace(/_/g, " ")} → `, entityLink(r.to),
      ` (${kindLabel(r.to.kind)}; ${r.sources.join(", ")})`)),
    ...entity.in.map((r) => h("li", {}, entityLink(r.from), ` ${r.type.toLowerCase().replace(/_/g, " ")} this`,
      ` (${kindLabel(r.from.kind)}; ${r.sources.join(", ")})`)),
  ];
  return h("section", { testid: "relations" }, h("h2", {}, `Relations (${number(items.length)})`),
    items.length ? h("ul", {}, items.slice(0, RELATIONS_SHOWN)) : h("p", {}, "None."),
    items.length > RELATIONS_SHOWN ? h("p", { class: "note" }, `The first ${RELATIONS_SHOWN} of ${number(items.length)}.`) : null);
}

function people(label, list) {
  return h("p", {}, h("strong", {}, `${label}: `), list && list.length ? list.map((p, i) => [i ? ", " : "", entityLink(p)]) : "–");
}

async function targetSection(entity, currency) {
  const list = entity.deliveredBy;
  const d = entity.delivery;
  const row = ({ node }) => [
    entityLink(node.item), kindLabel(node.item.kind), node.item.health ? node.item.health.toLowerCase() : "–",
    money(node.item.budget, currency), node.item.programme ? entityLink(node.item.programme) : "–",
    h("span", { class: "path" }, node.paths[0]?.nodes.map((n) => n.name).join(" → ") || ""),
  ];
  const rows = list.edges.map(row);
  const accountable = d.accountable ? [].concat(d.accountable) : null;
  const rollup = h("section", { testid: "rollup" }, h("h2", {}, "Delivery roll-up"),
    d.rag !== undefined ? h("p", {}, ragBadge(d.rag, d.ragReason), d.ragReason ? ` ${d.ragReason}` : "") : null,
    table(["Projects", "Programmes", "Green", "Amber", "Red", "Unknown", "Budget", "Actual cost", "Open budget", "Progress"],
      [[number(d.projects), number(d.programmes), number(d.byHealth.green), number(d.byHealth.amber), number(d.byHealth.red),
        number(d.byHealth.unknown), money(d.budget, currency), money(d.actualCost, currency), money(d.openBudget, currency),
        percent(d.progress)]]),
    d.benefits && d.benefits.length
      ? table(["Benefits", "Unit", "Expected", "Realised"],
        d.benefits.map((b) => [number(b.benefits), b.unit || "–", number(b.expected), number(b.realised)])) : null,
    accountable ? people("Accountable", accountable) : null,
    people("Owners", entity.owners), people("Sponsors", entity.sponsors));
  const listed = rows.length ? table(["Name", "Kind", "Health", "Budget", "Programme", "Value path"], rows) : null;
  const note = h("p", { class: "note" });
  let page = list.pageInfo;
  const shown = () => listed.tBodies[0].rows.length;
  const more = h("button", { type: "button", class: "more" }, `Show ${LIST_FIRST} more`);
  const update = () => {
    note.textContent = list.totalCount > shown() ? `The ${number(shown())} closest of ${number(list.totalCount)}.` : "";
    more.hidden = !page.hasNextPage;
  };
  // the next page after the cursor of the last one shown (the list can be walked to its end, closest first)
  more.addEventListener("click", async () => {
    more.disabled = true;
    const next = (await query(NEXT_DELIVERERS, { id: entity.id, first: LIST_FIRST, after: page.endCursor })).whatDelivers;
    for (const edge of next.edges) listed.tBodies[0].append(h("tr", {}, row(edge).map((c) => h("td", {}, c))));
    page = next.pageInfo;
    more.disabled = false;
    update();
  });
  const deliverers = h("section", { testid: "deliverers" }, h("h2", {}, `What delivers it (${number(list.totalCount)})`),
    listed || h("p", {}, "Nothing delivers it."), note, listed ? more : null);
  if (listed) update();

  let graph;
  let caption;
  if (list.totalCount > DRAW_LIMIT) {
    graph = summary(entity);
    caption = `${number(entity.projectCount.totalCount)} delivering projects grouped by programme (too many to draw one by one)`;
  } else {
    const all = list.totalCount > list.edges.length
      ? (await query(ALL_PATHS, { id: entity.id, first: DRAW_LIMIT })).whatDelivers.edges : list.edges;
    const { nodes, edges } = pathElements(all.flatMap((e) => e.node.paths));
    graph = { nodes: nodes.map(nodeFor), edges };
    caption = "Value paths: projects → deliverables → outcomes → benefits → objectives";
  }
  const figure = drawTrace(graph, { caption, fileName: `trace-${entity.id}` });
  figure.dataset.summarised = String(list.totalCount > DRAW_LIMIT);
  return { sections: [rollup, h("section", {}, h("h2", {}, "Value paths"), figure), deliverers], figure };
}

/** One node per delivering programme (with its project count) and one for the target. */
function summary(entity) {
  const nodes = [nodeFor(entity)];
  const edges = [];
  let inProgrammes = 0;
  for (const { node } of entity.programmes.edges) {
    const count = node.item.projects.length;
    inProgrammes += count;
    nodes.push({ ...nodeFor(node.item), kind: "GROUP", label: `${node.item.name} (${number(count)} projects)` });
    edges.push({ source: node.item.id, target: entity.id, label: "" });
  }
  const others = entity.projectCount.totalCount - inProgrammes;
  if (others > 0) {
    nodes.push({ id: "\u0000others", kind: "GROUP", label: `${number(others)} projects outside these programmes` });
    edges.push({ source: "\u0000others", target: entity.id, label: "" });
  }
  return { nodes, edges };
}

async function workSection(entity, currency) {
  const data = await query(WHY, { id: entity.id });
  const figures = h("section", { testid: "figures" }, h("h2", {}, "Figures"),
    table(["Status", "Health", "Budget", "Actual cost", "Progress", "Start", "End"],
      [[kindLabel(entity.status || "active"), entity.health ? entity.health.toLowerCase() : "–", money(entity.budget, currency),
        money(entity.actualCost, currency), entity.progress === undefined ? "–" : percent(entity.progress),
        entity.startDate || "–", entity.endDate || "–"]]),
    people("Manager", entity.manager ? [entity.manager] : []), people("Sponsors", entity.sponsors),
    entity.programme ? h("p", {}, h("strong", {}, "Programme: "), entityLink(entity.programme)) : null);
  const why = h("section", { testid: "why" }, h("h2", {}, "Why it exists"),
    data.whyExists.length
      ? table(["Serves", "Kind", "Value path"], data.whyExists.map((c) => [entityLink(c.target), kindLabel(c.target.kind),
        c.paths[0]?.nodes.map((n) => n.name).join(" → ") || ""]))
      : h("p", {}, "It serves no objective or goal: an orphan."));
  const impact = h("section", { testid: "impact" }, h("h2", {}, "If it slips"),
    h("h3", {}, `Work that depends on it (${data.impact.dependents.length})`),
    data.impact.dependents.length ? h("ul", {}, data.impact.dependents.map((e) => h("li", {}, entityLink(e), ` (${kindLabel(e.kind)})`))) : h("p", {}, "None."),
    h("h3", {}, `Strategy affected (${data.impact.affected.length})`),
    data.impact.affected.length ? h("ul", {}, data.impact.affected.map((e) => h("li", {}, entityLink(e), ` (${kindLabel(e.kind)})`))) : h("p", {}, "None."));
  const { nodes, edges } = pathElements(data.whyExists.flatMap((c) => c.paths));
  const figure = drawTrace({ nodes: nodes.map(nodeFor), edges },
    { caption: "Value paths from this work to the strategy it serves", fileName: `trace-${entity.id}` });
  return { sections: [figures, why, h("section", {}, h("h2", {}, "Value paths"), figure), impact], figure };
}

export async function render(main) {
  const variables = firstVariables();
  const { id } = variables;
  window.vgFirstQuery = { query: FIRST, variables };
  const data = await query(FIRST, variables);
  const currency = data.display.currency;
  const entity = data.entity;
  if (!entity) {
    document.title = "Not found · valuegraph";
    main.replaceChildren(h("h1", {}, "Not found"), h("p", {}, `The graph holds no entity with id “${id}”.`),
      h("p", {}, h("a", { href: "/" }, "Back to the portfolio")));
    return;
  }
  document.title = `${entity.name} · valuegraph`;
  const head = [h("p", { class: "kind" }, `${kindLabel(entity.kind)} · ${entity.id}`), h("h1", {}, entity.name)];
  let part = { sections: [], figure: null };
  if (entity.kind === "OBJECTIVE" || entity.kind === "GOAL") part = await targetSection(entity, currency);
  else if (entity.kind === "PROJECT" || entity.kind === "PROGRAMME") part = await workSection(entity, currency);
  const details = h("div", { class: "details" }, h("p", { class: "loading" }, "Loading properties and relations…"));
  main.replaceChildren(...head, ...part.sections, details);
  await painted();
  performance.mark("vg-first-screen");
  // after the first screen, side by side: the drawing (with Cytoscape loaded now) and the details
  const drawn = part.figure ? part.figure.draw() : null;
  const more = (await query(DETAILS, { id })).entity;
  details.replaceChildren(propertiesTable(more), relationsList(more));
  await drawn;
}
