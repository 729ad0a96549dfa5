// Builds the pages and GraphiQL into the Python package (api/static/), which ships them: an installed
// valuegraph serves them without node. `make web` runs this; the output is committed.
import { build } from "esbuild";
import { createHash } from "node:crypto";
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, "..", "api", "static");
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

// GraphiQL opens on the README's executive questions (one tab each), so they live in one place
const readme = readFileSync(join(here, "..", "README.md"), "utf8");
const section = readme.slice(readme.indexOf("Questions an executive can paste into GraphiQL"));
const examples = [];
const pattern = /^#### (.+)\n+```graphql\n([\s\S]*?)```/gm;
for (const match of section.matchAll(pattern)) {
  if (match.index > section.indexOf("\n### ")) break;
  examples.push({ title: match[1].trim(), query: `# ${match[1].trim()}\n${match[2]}` });
}
if (examples.length === 0) throw new Error("README.md: no executive questions found");
writeFileSync(join(here, "src", "examples.json"), JSON.stringify(examples, null, 2) + "\n");

const common = {
  bundle: true,
  minify: true,
  legalComments: "linked",
  target: ["es2020"],
  define: { "process.env.NODE_ENV": '"production"' },
  loader: { ".woff": "dataurl", ".woff2": "dataurl", ".svg": "dataurl" },
  logLevel: "warning",
};
await build({ ...common, entryPoints: { graphiql: join(here, "src", "graphiql.jsx") }, outdir: out, jsx: "automatic" });
// the drawing (Cytoscape: most of the pages' code) is a module of its own, named by its hash, that the pages load
// after their first screen; the pages' script is one module that leaves its import of the drawing to the browser
const drawing = await build({ ...common, entryPoints: { drawing: join(here, "src", "drawing.js") }, outdir: out,
  format: "esm", entryNames: "[name]-[hash]", metafile: true });
const drawingFile = basename(Object.keys(drawing.metafile.outputs).find((path) => path.endsWith(".js")));
const drawingImport = { name: "drawing", setup(b) {
  b.onResolve({ filter: /^\.\/drawing\.js$/ }, () => ({ path: `./${drawingFile}`, external: true }));
} };
await build({ ...common, entryPoints: { pages: join(here, "src", "pages.js") }, outdir: out, format: "esm",
  plugins: [drawingImport] });
// the entity page's first query, inlined in its HTML by the server (api/pages.py)
await build({ ...common, entryPoints: { "first-query": join(here, "src", "first-query.js") }, outdir: out, format: "iife" });
await build({ ...common, entryPoints: { pages: join(here, "src", "pages.css") }, outdir: out });
for (const file of ["swagger-ui-bundle.js", "swagger-ui.css"]) {
  copyFileSync(join(here, "node_modules", "swagger-ui-dist", file), join(out, file));
}

// what the build was made from and what it made: a test checks the committed build against both
const sha256 = (path) => createHash("sha256").update(readFileSync(path)).digest("hex");
const sources = ["package.json", "package-lock.json", "build.mjs", ...readdirSync(join(here, "src")).sort().map((f) => `src/${f}`)];
const outputs = readdirSync(out).filter((f) => f !== "build.json").sort();
const stamp = {
  sources: Object.fromEntries(sources.map((f) => [`web/${f}`, sha256(join(here, f))])),
  outputs: Object.fromEntries(outputs.map((f) => [f, sha256(join(out, f))])),
  hashed: [drawingFile], // named by their content: the server lets browsers keep them
};
writeFileSync(join(out, "build.json"), JSON.stringify(stamp, null, 2) + "\n");
