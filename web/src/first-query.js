// The entity page's first query, started by a script inlined in the page's HTML (api/pages.py) before the
// stylesheet and the pages' scripts load: the query and their download run side by side, and the page's script
// reads this response instead of asking again (api.js). Only what this needs is bundled (no drawing, no rendering).
import { start } from "./api.js";
import { FIRST, firstVariables } from "./entity.js";

start(FIRST, firstVariables());
