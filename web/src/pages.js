// One script for every page: body[data-page] names the page.
import { h } from "./format.js";
import * as alignment from "./alignment.js";
import * as changes from "./changes.js";
import * as entity from "./entity.js";
import * as portfolio from "./portfolio.js";

const PAGES = { portfolio, entity, changes, alignment };

performance.mark("vg-start");
const main = document.getElementById("main");
const page = PAGES[document.body.dataset.page];
page.render(main).then(
  () => { main.dataset.ready = "true"; },
  (error) => {
    main.replaceChildren(h("h1", {}, "Something went wrong"), h("p", { role: "alert" }, error.message));
    main.dataset.ready = "error";
  },
);
