// The drawn value paths: Cytoscape.js with a left-to-right DAG layout (dagre).
import cytoscape from "cytoscape";
import dagre from "cytoscape-dagre";
import svg from "cytoscape-svg";
import { entityHref, h } from "./format.js";

cytoscape.use(dagre);
cytoscape.use(svg);

const COLOURS = {
  PROJECT: "#2b6cb0", PROGRAMME: "#553c9a", DELIVERABLE: "#2c7a7b", OUTCOME: "#b7791f",
  BENEFIT: "#2f855a", OBJECTIVE: "#c53030", GOAL: "#9b2c2c", KEY_RESULT: "#718096", GROUP: "#4a5568",
};

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
  // drawn once the figure is in the document (Cytoscape measures its container)
  figure.draw = () => {
    const cy = cytoscape({
      container: canvas,
      elements,
      userZoomingEnabled: true,
      wheelSensitivity: 0.3,
      style: [
        { selector: "node", style: {
          label: "data(label)", "font-size": 10, "text-wrap": "wrap", "text-max-width": 130, "text-valign": "bottom",
          "text-margin-y": 4, width: 18, height: 18, "background-color": (n) => COLOURS[n.data("kind")] || "#4a5568",
          color: "#1a202c" } },
        { selector: "node[kind = 'GROUP']", style: { shape: "round-rectangle", width: 28, height: 28 } },
        { selector: "edge", style: {
          width: 1.5, "line-color": "#a0aec0", "target-arrow-color": "#a0aec0", "target-arrow-shape": "triangle",
          "curve-style": "bezier", label: "data(label)", "font-size": 8, color: "#4a5568", "text-rotation": "autorotate" } },
      ],
      layout: { name: "dagre", rankDir: "LR", nodeSep: 40, rankSep: 140, animate: false },
    });
    cy.on("tap", "node", (event) => {
      const href = event.target.data("href");
      if (href) location.assign(href);
    });
    canvas.cy = cy;
    canvas.dataset.drawn = "true";
    return cy;
  };
  return figure;
}

export function nodeFor(entity) {
  return { id: entity.id, name: entity.name, kind: entity.kind, href: entityHref(entity.id) };
}
