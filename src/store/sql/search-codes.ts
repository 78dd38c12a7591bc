/** Interns (resource type, parameter, system) as the small integer search_codes.code that index rows carry. */
import type { Kysely } from "kysely";
import type { SqlExecutor } from "./executor.js";
import type { Database } from "./schema.js";

/** One interned key: the resource type, the parameter and (tokens) the code system or (references) the target type. */
export interface CodeKey {
  resourceType: string;
  param: string;
  system: string;
}

/** A key as one string (the cache's key): {@link SearchCodes.has} and {@link SearchCodes.codeNamed} take it. */
export const codeKeyName = (k: CodeKey) => `${k.resourceType}\u0000${k.param}\u0000${k.system}`;
const keyOf = codeKeyName;

/**
 * A cache of search_codes. Codes are never changed or deleted, so a code once read stays true; a new key is
 * inserted with ON CONFLICT DO NOTHING and read back, so concurrent writers (processes or instances sharing
 * the database) agree on one code per key through the table's unique constraint.
 */
export class SearchCodes {
  private readonly known = new Map<string, number>();

  constructor(
    private readonly exec: SqlExecutor,
    private readonly db: Kysely<Database>,
  ) {}

  /** True when the key named `name` ({@link codeKeyName}) is known. */
  has(name: string): boolean {
    return this.known.has(name);
  }

  /** The code of the key named `name` ({@link codeKeyName}); {@link resolve} must have seen it. */
  codeNamed(name: string): number {
    const code = this.known.get(name);
    if (code === undefined) throw new Error("search code not resolved");
    return code;
  }

  /** Makes every key known: read from the table, inserted first if absent. Runs outside the caller's batch. */
  async resolve(keys: Iterable<CodeKey>): Promise<void> {
    const missing = new Map<string, CodeKey>();
    for (const k of keys) {
      const s = keyOf(k);
      if (!this.known.has(s)) missing.set(s, k);
    }
    if (missing.size === 0) return;
    await this.load([...missing.values()]);
    const absent = [...missing.entries()].filter(([s]) => !this.known.has(s)).map(([, k]) => k);
    if (absent.length === 0) return;
    for (const part of this.parts(absent, 3)) {
      await this.exec.run(
        this.db
          .insertInto("search_codes")
          .values(part.map((k) => ({ resource_type: k.resourceType, param: k.param, system: k.system })))
          .onConflict((oc) => oc.doNothing())
          .compile(),
      );
    }
    await this.load(absent);
  }

  private async load(keys: CodeKey[]): Promise<void> {
    for (const part of this.parts(keys, 3)) {
      const rows = await this.exec.all<{ code: number | string; resource_type: string; param: string; system: string }>(
        this.db
          .selectFrom("search_codes")
          .select(["code", "resource_type", "param", "system"])
          .where((eb) =>
            eb.or(
              part.map((k) =>
                eb.and([
                  eb("resource_type", "=", k.resourceType),
                  eb("param", "=", k.param),
                  eb("system", "=", k.system),
                ]),
              ),
            ),
          )
          .compile(),
      );
      for (const r of rows)
        this.known.set(keyOf({ resourceType: r.resource_type, param: r.param, system: r.system }), Number(r.code));
    }
  }

  /** `keys` in groups small enough for the driver's bound-parameter limit at `perKey` parameters each. */
  private parts(keys: CodeKey[], perKey: number): CodeKey[][] {
    const size = Math.max(1, Math.min(200, Math.floor(this.exec.maxParameters / perKey)));
    const out: CodeKey[][] = [];
    for (let i = 0; i < keys.length; i += size) out.push(keys.slice(i, i + size));
    return out;
  }
}
