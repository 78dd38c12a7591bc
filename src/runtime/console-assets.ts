/** Node: reads nhsuk-frontend's compiled CSS and JS from node_modules for the web console (src/console/assets.ts). */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import type { ConsoleAssets } from "../console/assets.js";

/** The console's assets, or undefined (pages then render unstyled) when nhsuk-frontend is not installed. */
export function readConsoleAssets(): ConsoleAssets | undefined {
  try {
    const require = createRequire(import.meta.url);
    const file = (name: string) => readFileSync(require.resolve(`nhsuk-frontend/dist/nhsuk/${name}`), "utf8");
    return { css: file("nhsuk-frontend.min.css"), js: file("nhsuk-frontend.min.js") };
  } catch {
    return undefined;
  }
}
