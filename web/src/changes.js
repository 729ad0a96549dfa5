// `/changes`: what changed, newest revision first.
import { query } from "./api.js";
import { entityLink, h, kindLabel, number, table, when } from "./format.js";

const REVISIONS = `{ currentRevision revisions(first: 20) { edges { node { number committedAt source mode author created updated retracted } } } }`;
const CHANGES = `query($since: Int!) { changes(sinceRevision: $since, first: 500) {
  edges { node { revision committedAt source kind entityId entityKind property before after relationType to } }
  pageInfo { hasNextPage } } }`;

function value(v) {
  return v === null || v === undefined ? "–" : typeof v === "object" ? JSON.stringify(v) : String(v);
}

export async function render(main) {
  const data = await query(REVISIONS);
  const revisions = data.revisions.edges.map((e) => e.node);
  const since = Math.max(0, data.currentRevision - 5);
  const changes = (await query(CHANGES, { since })).changes;
  const rows = changes.edges.map(({ node: c }) => [
    `#${c.revision}`, c.source, kindLabel(c.kind), entityLink({ id: c.entityId, name: c.entityId }), kindLabel(c.entityKind),
    c.property || (c.relationType ? `${c.relationType.toLowerCase()} → ${c.to}` : "–"), value(c.before), value(c.after),
  ]).reverse();
  main.replaceChildren(
    h("h1", {}, "What changed"),
    h("section", { testid: "revisions" }, h("h2", {}, "Revisions"),
      table(["Revision", "When", "Source", "By", "Created", "Updated", "Retracted"], revisions.map((r) => [
        `#${r.number}`, when(r.committedAt), r.source, r.author, number(r.created), number(r.updated), number(r.retracted)]))),
    h("section", { testid: "changes" }, h("h2", {}, `Changes in the last revisions (after #${since})`),
      rows.length ? table(["Revision", "Source", "Change", "Entity", "Kind", "What", "Before", "After"], rows) : h("p", {}, "None."),
      changes.pageInfo.hasNextPage ? h("p", { class: "note" }, "The first 500 changes are shown.") : null),
  );
}
