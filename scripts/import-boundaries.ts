/**
 * The runtime-neutral core rule (DESIGN.md rule 1), checked on every import: only src/runtime/**
 * and the storage driver folders may import node:* (or a bare Node built-in), a database client,
 * the Node HTTP server or logger, or Workers modules. Uses the TypeScript parser, so comments and
 * strings cannot fool it.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { builtinModules } from "node:module";
import { join, relative } from "node:path";
import ts from "typescript";

/** Folders (relative to the repository, with a trailing slash) allowed to know the host. */
export const HOST_ZONES = ["src/runtime/", "src/store/sqlite/", "src/store/d1/", "src/store/postgres/"];

const HOST_PACKAGES = [
  "better-sqlite3",
  "pg",
  "@electric-sql/pglite",
  "@hono/node-server",
  "pino",
  "@cloudflare/workers-types",
];
const NODE_BUILTINS = new Set(builtinModules);

/** True when `specifier` names something only a host may import. */
export function isHostSpecific(specifier: string): boolean {
  if (specifier.startsWith("node:") || specifier.startsWith("cloudflare:")) return true;
  const pkg = specifier.startsWith("@") ? specifier.split("/").slice(0, 2).join("/") : (specifier.split("/")[0] ?? "");
  return NODE_BUILTINS.has(pkg) || HOST_PACKAGES.includes(pkg);
}

function* tsFiles(dir: string): Generator<string> {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* tsFiles(path);
    else if (/\.tsx?$/.test(name) && !name.endsWith(".test.ts")) yield path;
  }
}

/** Every forbidden import under `root/src`, as `file: specifier`. */
export function findBoundaryViolations(root: string): string[] {
  const violations: string[] = [];
  for (const file of tsFiles(join(root, "src"))) {
    const rel = relative(root, file).split("\\").join("/");
    if (HOST_ZONES.some((z) => rel.startsWith(z))) continue;
    const info = ts.preProcessFile(readFileSync(file, "utf8"), true, true);
    for (const ref of info.importedFiles) {
      if (isHostSpecific(ref.fileName)) violations.push(`${rel}: ${ref.fileName}`);
    }
  }
  return violations;
}
