// `/alignment`: the steering-committee pack (printable).
import { query } from "./api.js";
import { h, table } from "./format.js";
import { ALIGNMENT, TARGET_HEADERS, TARGETS, alignmentSummary, rollups, targetRows, trend } from "./portfolio.js";

export async function render(main) {
  const [data, objectives, points, extra] = await Promise.all([
    query(ALIGNMENT), query(TARGETS, { kind: "OBJECTIVE" }), trend(), rollups("OBJECTIVE")]);
  main.replaceChildren(
    h("h1", {}, "Strategic alignment: steering committee pack"),
    h("p", { class: "note" }, `As of ${new Date().toLocaleString()}. `,
      h("button", { type: "button", class: "no-print", onclick: () => window.print() }, "Print")),
    ...alignmentSummary(data.alignment, points, extra.currency),
    h("section", { testid: "objectives", class: "page-break" }, h("h2", {}, "Objectives"),
      table(TARGET_HEADERS, targetRows(objectives.entities.edges, extra.byId, extra.currency))),
  );
}
