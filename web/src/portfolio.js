// `/`: the portfolio at a glance.
import { fieldsOf, optional, query } from "./api.js";
import { entityHref, entityLink, h, kindLabel, money, percent, ragBadge, table } from "./format.js";

export const ALIGNMENT = `{
  alignment {
    alignedBudgetShare
    orphans { id name kind ... on Project { budget manager { name } } ... on Programme { budget manager { name } } }
    unsupported { id name kind }
  }
}`;

const DELIVERY = "projects programmes byHealth { green amber red unknown } budget actualCost keyResultProgress";
export const TARGETS = `query($kind: Kind!) {
  entities(kind: $kind, first: 500) {
    totalCount
    edges { node { id name kind
      ... on Objective { status delivery { ${DELIVERY} } }
      ... on Goal { delivery { ${DELIVERY} } } } }
  }
}`;

const TREND = `query($from: DateTime!, $to: DateTime!) { alignmentTrend(from: $from, to: $to, points: 12) { time alignedBudgetShare } }`;

/** The roll-up fields being added to DeliverySummary (RAG, open budget, progress), where the server has them. */
export async function rollups(kind) {
  const fields = await fieldsOf("DeliverySummary", ["rag", "ragReason", "openBudget", "progress"]);
  const display = (await fieldsOf("Query", ["display"])).length > 0;
  const byId = new Map();
  let currency = null;
  if (fields.length || display) {
    const parts = [];
    if (display) parts.push("display { currency }");
    if (fields.length) {
      parts.push(`entities(kind: ${kind}, first: 500) { edges { node { id
        ... on Objective { delivery { ${fields.join(" ")} } } ... on Goal { delivery { ${fields.join(" ")} } } } } }`);
    }
    const data = await optional(`{ ${parts.join(" ")} }`);
    currency = data?.display?.currency || null;
    for (const edge of data?.entities?.edges || []) byId.set(edge.node.id, edge.node.delivery);
  }
  return { byId, currency };
}

export async function displayCurrency() {
  if (!(await fieldsOf("Query", ["display"])).length) return null;
  return (await optional("{ display { currency } }"))?.display?.currency || null;
}

function sparkline(points) {
  const values = points.filter((p) => p.alignedBudgetShare !== null && p.alignedBudgetShare !== undefined);
  if (values.length < 2) return null;
  const w = 160, hgt = 36;
  const xs = values.map((_, i) => (i / (values.length - 1)) * w);
  const ys = values.map((p) => hgt - p.alignedBudgetShare * hgt);
  const svgNs = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(svgNs, "svg");
  svg.setAttribute("viewBox", `0 0 ${w} ${hgt}`);
  svg.setAttribute("class", "sparkline");
  svg.setAttribute("role", "img");
  const first = values[0].alignedBudgetShare, last = values[values.length - 1].alignedBudgetShare;
  svg.setAttribute("aria-label", `aligned share from ${percent(first, 1)} to ${percent(last, 1)}`);
  const line = document.createElementNS(svgNs, "polyline");
  line.setAttribute("points", xs.map((x, i) => `${x.toFixed(1)},${ys[i].toFixed(1)}`).join(" "));
  line.setAttribute("fill", "none");
  line.setAttribute("stroke", "#2b6cb0");
  line.setAttribute("stroke-width", "2");
  svg.append(line);
  return svg;
}

export function trendText(points) {
  const values = points.filter((p) => p.alignedBudgetShare !== null && p.alignedBudgetShare !== undefined);
  if (values.length < 2) return "no trend yet";
  const delta = values[values.length - 1].alignedBudgetShare - values[0].alignedBudgetShare;
  const points_ = Math.round(delta * 1000) / 10;
  const since = new Date(values[0].time).toLocaleDateString();
  return points_ === 0 ? `unchanged since ${since}` : `${points_ > 0 ? "up" : "down"} ${Math.abs(points_)} points since ${since}`;
}

/** The aligned share over the last `days`, or since the history starts when that is later. */
export async function trend(days = 90) {
  const to = new Date();
  const first = await optional("{ changes(sinceRevision: 0, first: 1) { edges { node { committedAt } } } }");
  const started = first?.changes?.edges?.[0]?.node?.committedAt;
  const from = new Date(Math.max(to.getTime() - days * 86400000, started ? new Date(started).getTime() : 0));
  const data = await optional(TREND, { from: from.toISOString(), to: to.toISOString() });
  return data?.alignmentTrend || [];
}

export function targetRows(edges, extra, currency) {
  return edges.map(({ node }) => {
    const d = node.delivery;
    const more = extra.get(node.id) || {};
    return [
      entityLink(node),
      ragBadge(more.rag, more.ragReason),
      `${d.projects} projects, ${d.programmes} programmes`,
      `${d.byHealth.green} green · ${d.byHealth.amber} amber · ${d.byHealth.red} red · ${d.byHealth.unknown} unknown`,
      money(d.budget, currency),
      money(d.actualCost, currency),
      percent(more.progress ?? d.keyResultProgress),
    ];
  });
}

export const TARGET_HEADERS = ["Name", "RAG", "Delivered by", "Health", "Budget", "Actual cost", "Progress"];

function searchBox() {
  const input = h("input", { type: "search", id: "search", testid: "search", autocomplete: "off",
    placeholder: "Name or id of any project, objective, person…", "aria-controls": "search-results" });
  const results = h("ul", { id: "search-results", class: "search-results", "aria-live": "polite" });
  let seq = 0;
  const run = async () => {
    const text = input.value.trim();
    const mine = ++seq;
    if (!text) {
      results.replaceChildren();
      return;
    }
    const data = await query(`query($q: String!, $id: ID!) {
      byId: entity(id: $id) { id name kind }
      entities(search: $q, first: 10) { totalCount edges { node { id name kind } } }
    }`, { q: text, id: text });
    if (mine !== seq) return;
    const found = [data.byId, ...data.entities.edges.map((e) => e.node)].filter(Boolean);
    const seen = new Set();
    const items = found.filter((e) => !seen.has(e.id) && seen.add(e.id))
      .map((e) => h("li", {}, h("a", { href: entityHref(e.id) }, e.name), ` ${kindLabel(e.kind)} · ${e.id}`));
    results.replaceChildren(...(items.length ? items : [h("li", {}, "Nothing matches.")]));
  };
  let timer = null;
  input.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(run, 150);
  });
  return h("section", { class: "search", role: "search" },
    h("label", { for: "search" }, "Find anything by name or id"), input, results);
}

export function alignmentSummary(report, points, currency) {
  const orphanBudget = report.orphans.reduce((sum, o) => sum + (o.budget || 0), 0);
  return [
    h("section", { class: "tiles" },
      h("div", { class: "tile", testid: "alignment-share" },
        h("h2", {}, "Budget aligned to strategy"),
        h("p", { class: "big" }, percent(report.alignedBudgetShare, 1)),
        sparkline(points), h("p", { class: "trend" }, trendText(points))),
      h("div", { class: "tile" }, h("h2", {}, "Orphan projects"), h("p", { class: "big" }, String(report.orphans.length)),
        h("p", {}, `${money(orphanBudget, currency)} of budget serving no objective`)),
      h("div", { class: "tile" }, h("h2", {}, "Unsupported objectives and goals"),
        h("p", { class: "big" }, String(report.unsupported.length)))),
    h("section", { testid: "orphans" },
      h("h2", {}, "Orphan projects: open work serving no objective or goal"),
      report.orphans.length
        ? table(["Project", "Budget", "Manager"], report.orphans.map((o) => [entityLink(o), money(o.budget, currency), o.manager?.name || "–"]))
        : h("p", {}, "None.")),
    h("section", { testid: "unsupported" },
      h("h2", {}, "Objectives and goals nothing delivers"),
      report.unsupported.length
        ? h("ul", {}, report.unsupported.map((u) => h("li", {}, entityLink(u), ` (${kindLabel(u.kind)})`)))
        : h("p", {}, "None.")),
  ];
}

export async function render(main) {
  const [data, objectives, goals, points, extraObjectives, extraGoals] = await Promise.all([
    query(ALIGNMENT), query(TARGETS, { kind: "OBJECTIVE" }), query(TARGETS, { kind: "GOAL" }), trend(),
    rollups("OBJECTIVE"), rollups("GOAL"),
  ]);
  const currency = extraObjectives.currency;
  main.replaceChildren(
    h("h1", {}, "Portfolio at a glance"),
    searchBox(),
    ...alignmentSummary(data.alignment, points, currency),
    h("section", { testid: "objectives" }, h("h2", {}, "Objectives"),
      table(TARGET_HEADERS, targetRows(objectives.entities.edges, extraObjectives.byId, currency))),
    h("section", { testid: "goals" }, h("h2", {}, "Goals"),
      table(TARGET_HEADERS, targetRows(goals.entities.edges, extraGoals.byId, currency))),
  );
}
