/** `npm run token -- --org … --org-type … --role … --purpose …`: prints a development bearer token. */
import { parseArgs } from "node:util";
import { ORG_TYPES, PURPOSES, ROLES } from "../../auth/actor.js";
import { mintDevToken } from "../dev-issuer.js";

const USAGE = `Usage: npm run token -- --org CODE --org-type TYPE --role ROLE (--purpose PURPOSE | --purposes P1,P2) [--sub ID] [--ttl SECONDS] [--data-dir DIR]
  --org-type  ${ORG_TYPES.join(" | ")}
  --role      ${ROLES.join(" | ")}
  --purpose   ${PURPOSES.join(" | ")}
Needs the development issuer's key: start the gateway once with npm start (TFG_DATA_DIR, default ./data).`;

function fail(message: string): never {
  console.error(`${message}\n\n${USAGE}`);
  process.exit(2);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      org: { type: "string" },
      "org-type": { type: "string" },
      role: { type: "string" },
      purpose: { type: "string" },
      purposes: { type: "string" },
      sub: { type: "string" },
      ttl: { type: "string", default: "3600" },
      "data-dir": { type: "string" },
      help: { type: "boolean" },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const orgType = values["org-type"];
  if (!values.org) fail("--org is required");
  if (!orgType || !(ORG_TYPES as readonly string[]).includes(orgType)) fail("--org-type is missing or unknown");
  if (!values.role || !(ROLES as readonly string[]).includes(values.role)) fail("--role is missing or unknown");
  const purposes = values.purposes?.split(",").map((p) => p.trim());
  const chosen = values.purpose ? [values.purpose] : purposes;
  if (!chosen?.length || chosen.some((p) => !(PURPOSES as readonly string[]).includes(p))) {
    fail("--purpose or --purposes is missing or unknown");
  }
  if (!/^\d+$/.test(values.ttl ?? "")) fail("--ttl must be a number of seconds");
  const token = await mintDevToken(
    values["data-dir"] ?? process.env.TFG_DATA_DIR ?? "data",
    {
      sub: values.sub ?? `dev-${values.role}@${values.org}`,
      org: values.org,
      org_type: orgType,
      role: values.role,
      ...(values.purpose ? { purpose_of_use: values.purpose } : { purposes }),
    },
    Number(values.ttl),
  );
  console.log(token);
}

main().catch((err) => fail(err instanceof Error ? err.message : String(err)));
