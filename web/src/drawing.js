// The drawing of a trace: Cytoscape.js with a left-to-right DAG layout (dagre). A chunk of its own, loaded once a
// page's first screen is shown: most of the pages' code is Cytoscape's, and no first screen waits for it.
import cytoscape from "cytoscape";
import dagre from "cytoscape-dagre";
import svg from "cytoscape-svg";

cytoscape.use(dagre);
cytoscape.use(svg);

const COLOURS = {
  PROJECT: "#2b6cb0", PROGRAMME: "#553c9a", DELIVERABLE: "#2c7a7b", OUTCOME: "#b7791f",
  BENEFIT: "#2f855a", OBJECTIVE: "#c53030", GOAL: "#9b2c2c", KEY_RESULT: "#718096", GROUP: "#4a5568",
};

/** Draws `elements` (Cytoscape's) in `container`, a node's tap opening its page. */
export function draw(container, elements) {
  const cy = cytoscape({
    container,
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
  return cy;
}
