// Numbers for people; the API keeps the exact values.

const locale = undefined; // the browser's

// one formatter per kind of number: making one costs far more than formatting with it (a page formats hundreds)
const formatters = new Map();
function formatter(options) {
  const key = JSON.stringify(options);
  if (!formatters.has(key)) formatters.set(key, new Intl.NumberFormat(locale, options));
  return formatters.get(key);
}

export function percent(share, digits = 0) {
  if (share === null || share === undefined) return "–";
  return formatter({ style: "percent", maximumFractionDigits: digits }).format(share);
}

export function number(value, digits = 0) {
  if (value === null || value === undefined) return "–";
  return formatter({ maximumFractionDigits: digits }).format(value);
}

export function money(value, currency) {
  if (value === null || value === undefined) return "–";
  if (currency) {
    try {
      return formatter({ style: "currency", currency, maximumFractionDigits: 0 }).format(value);
    } catch {
      // an unknown currency code: the number with the code
      return `${number(value)} ${currency}`;
    }
  }
  return number(value);
}

export function when(iso) {
  if (!iso) return "–";
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString(locale, { dateStyle: "medium", timeStyle: "short" });
}

/** A DOM element: h("a", {href}, child, ...); strings become text (never HTML). */
export function h(tag, attrs = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith("on")) element.addEventListener(name.slice(2), value);
    else if (name === "testid") element.dataset.testid = value;
    else element.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : String(child));
  }
  return element;
}

/** Resolves once what is in the document now has been painted (a task after the next frame; at once in a hidden
 * tab, which paints no frames). */
export function painted() {
  if (document.visibilityState === "hidden") return Promise.resolve();
  return new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));
}

export function entityHref(id) {
  return "/entity/" + encodeURIComponent(id);
}

export function entityLink(entity) {
  return h("a", { href: entityHref(entity.id) }, entity.name || entity.id);
}

export function kindLabel(kind) {
  return String(kind || "").toLowerCase().replace(/_/g, " ");
}

export function ragBadge(rag, reason) {
  if (rag === undefined) return "–"; // a server without the RAG roll-up
  const value = rag || "UNKNOWN";
  return h("span", { class: `rag rag-${value.toLowerCase()}`, title: reason || null }, value.toLowerCase());
}

export function table(headers, rows, attrs = {}) {
  return h("table", attrs, h("thead", {}, h("tr", {}, headers.map((x) => h("th", { scope: "col" }, x)))),
    h("tbody", {}, rows.map((cells) => h("tr", {}, cells.map((c) => h("td", {}, c))))));
}
