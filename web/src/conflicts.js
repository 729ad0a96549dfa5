// Disputed values: a property that two or more sources give different values of is marked beside its
// value, with every source's value in a details element (keyboard and screen-reader friendly).
import { h } from "./format.js";

/** The GraphQL selection that gives an entity's disputes (for the page's existing details query). */
export const DISPUTES = "disputes { property values { source value } }";

/** The mark for one property (null when its sources agree); `show` formats a value. */
export function disputedMark(disputes, property, show) {
  const found = (disputes || []).find((d) => d.property === property);
  if (!found) return null;
  const [answered, ...others] = found.values;
  const label = `disputed: ${others.length + 1} sources give different values`;
  return h("details", { class: "disputed", testid: "disputed" },
    h("summary", { "aria-label": label, title: label }, h("span", { class: "badge badge-disputed" }, "disputed")),
    h("ul", {},
      h("li", {}, h("strong", {}, show(answered.value)), ` (${answered.source}, answered)`),
      others.map((v) => h("li", {}, show(v.value), ` (${v.source})`))));
}

/** The source whose value of a disputed property is answered (null when its sources agree). */
export function answeredBy(disputes, property) {
  const found = (disputes || []).find((d) => d.property === property);
  return found ? found.values[0].source : null;
}
