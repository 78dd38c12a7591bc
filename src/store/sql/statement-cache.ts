/** Compiles a query shape once and reuses its SQL: Kysely's build-and-compile costs more than a SQLite lookup. */
import type { SqlStatement } from "./executor.js";

const SLOT = "\u0000tfg-slot:";

/** A compiled shape: fill it with arguments, in the order the builder's `slot(i)` placeholders name. */
export type StatementTemplate = (args: readonly unknown[]) => SqlStatement;

/**
 * Caches compiled statements by key. `build(slot)` builds the query with `slot(i)` wherever
 * argument i goes; the cache records where each lands among the compiled parameters.
 */
export class StatementCache {
  private readonly templates = new Map<string, StatementTemplate>();

  constructor(private readonly limit = 1000) {}

  /** The template for `key`, compiled by `build` on first use. */
  get(key: string, build: (slot: (i: number) => string) => { compile(): SqlStatement }): StatementTemplate {
    let t = this.templates.get(key);
    if (t) return t;
    const compiled = build((i) => `${SLOT}${i}`).compile();
    const sources = compiled.parameters.map((p) =>
      typeof p === "string" && p.startsWith(SLOT) ? Number(p.slice(SLOT.length)) : -1,
    );
    const constants = compiled.parameters;
    const sql = compiled.sql;
    t = (args) => {
      const parameters = new Array<unknown>(sources.length);
      for (let i = 0; i < sources.length; i++) {
        const s = sources[i] as number;
        parameters[i] = s >= 0 ? args[s] : constants[i];
      }
      return { sql, parameters };
    };
    if (this.templates.size >= this.limit) this.templates.delete(this.templates.keys().next().value as string);
    this.templates.set(key, t);
    return t;
  }
}
