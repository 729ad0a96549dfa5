// One script for every page: body[data-page] names the page.
import { h } from "./format.js";
import { render as alignment } from "./alignment.js";
import { render as changes } from "./changes.js";
import { render as entity } from "./entity.js";
import { render as portfolio } from "./portfolio.js";

// each page's render(main); named, not namespace imports: the script then needs no chunk of bundler helpers
const PAGES = { portfolio, entity, changes, alignment };

performance.mark("vg-start");
const main = document.getElementById("main");
const page = PAGES[document.body.dataset.page];
page(main).then(
  () => { main.dataset.ready = "true"; },
  (error) => {
    main.replaceChildren(h("h1", {}, "Something went wrong"), h("p", { role: "alert" }, error.message));
    main.dataset.ready = "error";
  },
);
