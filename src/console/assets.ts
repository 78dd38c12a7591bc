/**
 * The NHS.UK frontend's compiled CSS and JavaScript (nhsuk-frontend, MIT licence), served by the gateway under
 * /console/assets. The runtime reads them (Node: from node_modules; Workers: text-module imports) and passes them
 * in, so the core stays free of host APIs.
 */
import { Hono } from "hono";

/** The stylesheet and script of nhsuk-frontend, as text. */
export interface ConsoleAssets {
  css: string;
  js: string;
}

/** The module that marks the page as JS-capable and initialises every NHS.UK component. */
const INIT_JS = `import { initAll } from "./nhsuk-frontend.min.js";
document.body.classList.add("js-enabled", "nhsuk-frontend-supported");
initAll();
`;

/** Small additions to the NHS.UK styles: the completeness chart. */
const CONSOLE_CSS = `.tfg-chart{display:block;width:100%;max-width:40rem;height:1.5rem}
.tfg-chart .tfg-bar{fill:#005eb8}.tfg-chart .tfg-track{fill:#e8edee}
.tfg-purpose{margin-bottom:0}
`;

const cached = (type: string) => ({ "Content-Type": type, "Cache-Control": "public, max-age=3600" });

/** GET /console/assets/*: the stylesheet, the script, the init module (404 when the runtime gave no assets). */
export function assetRoutes(assets: ConsoleAssets | undefined): Hono {
  const app = new Hono();
  app.get("/nhsuk-frontend.min.css", (c) =>
    assets ? c.body(assets.css, 200, cached("text/css; charset=utf-8")) : c.notFound(),
  );
  app.get("/nhsuk-frontend.min.js", (c) =>
    assets ? c.body(assets.js, 200, cached("text/javascript; charset=utf-8")) : c.notFound(),
  );
  app.get("/init.js", (c) => c.body(INIT_JS, 200, cached("text/javascript; charset=utf-8")));
  app.get("/console.css", (c) => c.body(CONSOLE_CSS, 200, cached("text/css; charset=utf-8")));
  return app;
}
