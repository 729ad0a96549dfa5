// The drawn value paths: the figure with its download links; the drawing itself (Cytoscape) is loaded when the
// figure is drawn (drawing.js).
import { entityHref, h } from "./format.js";

/** Nodes and edges of the union of some paths (each node and relation once). */
export function pathElements(paths) {
  const nodes = new Map();
  const edges = new Map();
  for (const path of paths) {
    for (const node of path.nodes) nodes.set(node.id, node);
    for (const rel of path.relations || []) {
      edges.set(`${rel.from.id}\u0000${rel.type}\u0000${rel.to.id}`, { source: rel.from.id, target: rel.to.id, label: rel.type });
    }
  }
  return { nodes: [...nodes.values()], edges: [...edges.values()] };
}

/** The drawing in a figure with its download links; `graph` is {nodes: [{id, name, kind, href?}], edges}. */
export function drawTrace(graph, { caption, fileName = "trace" }) {
  const canvas = h("div", { class: "trace", testid: "trace", role: "img",
    "aria-label": `${caption}: ${graph.nodes.length} nodes, ${graph.edges.length} links` });
  canvas.dataset.nodeCount = String(graph.nodes.length);
  const download = (kind) => () => {
    const cy = canvas.cy;
    const data = kind === "svg"
      ? URL.createObjectURL(new Blob([cy.svg({ full: true, bg: "#ffffff" })], { type: "image/svg+xml" }))
      : cy.png({ full: true, bg: "#ffffff", scale: 2 });
    const link = h("a", { href: data, download: `${fileName}.${kind}` });
    document.body.append(link);
    link.click();
    link.remove();
  };
  const figure = h("figure", { class: "trace-figure" },
    canvas,
    h("figcaption", {}, caption, " ",
      h("button", { type: "button", class: "download", onclick: download("svg") }, "Download SVG"), " ",
      h("button", { type: "button", class: "download", onclick: download("png") }, "Download PNG")));
  const elements = [
    ...graph.nodes.map((n) => ({ data: { id: n.id, label: n.label || n.name || n.id, kind: n.kind, href: n.href } })),
    ...graph.edges.map((e, i) => ({ data: { id: `e${i}`, source: e.source, target: e.target, label: e.label || "" } })),
  ];
  // drawn once the figure is in the document (Cytoscape measures its container), with Cytoscape loaded then
  figure.draw = async () => {
    const { draw } = await import("./drawing.js");
    const cy = draw(canvas, elements);
    canvas.cy = cy;
    canvas.dataset.drawn = "true";
    return cy;
  };
  return figure;
}

export function nodeFor(entity) {
  return { id: entity.id, name: entity.name, kind: entity.kind, href: entityHref(entity.id) };
}
