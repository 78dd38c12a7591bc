// A fresh, uniquely named schema on the PostgreSQL server tests run against: the URL that puts a connection in it,
// SQL as the server's admin (optionally inside the schema), and dropping it.
import pg from "pg";

let schemas = 0;

/** A fresh schema. */
export interface PgSchema {
  name: string;
  /** `url` with `search_path` set to the schema, for a store's connections. */
  url: string;
  /** Runs `text` on a connection of its own (in the schema when `inSchema`). */
  admin(text: string, inSchema?: boolean): Promise<void>;
  drop(): Promise<void>;
}

/** Creates schema `<prefix>_<time>_<pid>_<n>` on the server at `url`. */
export async function freshSchema(url: string, prefix: string): Promise<PgSchema> {
  const name = `${prefix}_${Date.now().toString(36)}_${process.pid}_${schemas++}`;
  const admin = async (text: string, inSchema = false) => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      if (inSchema) await client.query(`SET search_path TO ${name}`);
      await client.query(text);
    } finally {
      await client.end();
    }
  };
  await admin(`CREATE SCHEMA ${name}`);
  const u = new URL(url);
  u.searchParams.set("options", `-c search_path=${name}`);
  return { name, url: u.toString(), admin, drop: () => admin(`DROP SCHEMA IF EXISTS ${name} CASCADE`) };
}
