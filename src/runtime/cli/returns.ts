/**
 * `npm run tfg -- returns build|submit|scheduled`: national returns from the command line (docs/RETURNS.md), through
 * the same service as `POST /returns/{kind}`, so the same rules and audit apply. The CLI acts as the named
 * organisation's system, for the purpose statistics.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import cliProgress from "cli-progress";
import { returnsService } from "../../app.js";
import type { Actor } from "../../auth/actor.js";
import { ORG_TYPES } from "../../auth/actor.js";
import { createTokenVerifier } from "../../auth/token-verifier.js";
import { parseConfig } from "../../config.js";
import { GatewayError } from "../../fhir/errors.js";
import { silentLogger } from "../../log/logger.js";
import { schedulerActor } from "../../returns/jobs/schedule.js";
import { RETURN_KINDS, type ReturnKind } from "../../returns/port.js";
import { openNodeStore } from "../node.js";

/** Usage of the returns commands. */
export const RETURNS_USAGE = `       npm run tfg -- returns build <kind> --org ORG --org-type TYPE --user USER --start YYYY-MM-DD --end YYYY-MM-DD
                [--scope-org CODE] [--la CODE] [--year YYYY] [--out DIR]   build a return, with a progress bar; writes
                its files and risk report to DIR (default ./returns/<job id>)
       npm run tfg -- returns submit <job-id> --org ORG --org-type TYPE --user USER   submit a built return
       npm run tfg -- returns scheduled   start the TFG_RETURN_SCHEDULE returns due (run it from cron on Node)
  <kind>  ${RETURN_KINDS.join(" | ")};  TYPE  ${ORG_TYPES.join(" | ")}`;

/** The options the returns commands read. */
export interface ReturnsCliOptions {
  org?: string | undefined;
  "org-type"?: string | undefined;
  user?: string | undefined;
  start?: string | undefined;
  end?: string | undefined;
  "scope-org"?: string | undefined;
  la?: string | undefined;
  year?: string | undefined;
  out?: string | undefined;
  quiet?: boolean | undefined;
}

function cliActor(o: ReturnsCliOptions): Actor | string {
  if (!o.org || !/^[A-Za-z0-9]{1,16}$/.test(o.org)) return "Name the organisation with --org CODE";
  if (!o["org-type"] || !(ORG_TYPES as readonly string[]).includes(o["org-type"])) {
    return `Name its type with --org-type (${ORG_TYPES.join(", ")})`;
  }
  if (!o.user?.trim()) return "Name who is running it with --user ID";
  return {
    subject: o.user.trim(),
    issuer: "urn:tfg:cli",
    org: o.org,
    orgType: o["org-type"] as Actor["orgType"],
    role: "system",
    purposeOfUse: "statistics",
    tokenId: { kind: "cli-run", value: crypto.randomUUID() },
  };
}

/** Runs a returns command; resolves with the exit status, or a usage message. */
export async function returnsCommand(
  sub: string | undefined,
  args: string[],
  o: ReturnsCliOptions,
): Promise<number | string> {
  const env = process.env;
  const config = parseConfig(env);
  const store = await openNodeStore(env, resolve(env.TFG_DATA_DIR ?? "data"));
  const service = returnsService({ store, config, logger: silentLogger, verifyToken: createTokenVerifier(config) });
  try {
    if (sub === "scheduled") {
      const today = new Date().toISOString().slice(0, 10);
      let started = 0;
      for (const entry of config.returns.schedule) {
        const job = await service.startScheduled(entry, today, async () => undefined);
        if (job) {
          started++;
          await service.run(job.id);
          console.log(
            `${job.id} ${entry.kind} ${entry.org} ${(await service.status(schedulerActor(entry), job.id)).status}`,
          );
        }
      }
      console.log(`${started} scheduled return(s) started`);
      // Builds a crash left behind: queued again and built here (src/returns/jobs/recover.ts).
      const recovered = await service.housekeep(async () => undefined);
      for (const id of recovered) console.log(`${id} recovered: ${await service.run(id)}`);
      if (recovered.length > 0) console.log(`${recovered.length} abandoned return job(s) built again`);
      return 0;
    }
    const actor = cliActor(o);
    if (typeof actor === "string") return actor;
    if (sub === "build") {
      const kind = args[0];
      if (!kind || !(RETURN_KINDS as readonly string[]).includes(kind))
        return `Name the kind: ${RETURN_KINDS.join(", ")}`;
      if (!o.start || !o.end) return "Give the period with --start and --end (YYYY-MM-DD)";
      const scope = {
        ...(o["scope-org"] ? { org: o["scope-org"] } : {}),
        ...(o.la ? { la: o.la } : {}),
        ...(o.year ? { year: Number(o.year) } : {}),
      };
      const job = await service.start(
        actor,
        { kind: kind as ReturnKind, period: { start: o.start, end: o.end }, scope },
        () => undefined,
      );
      const bar = o.quiet
        ? undefined
        : new cliProgress.SingleBar(
            { format: `${kind} [{bar}] {value}/{total} records` },
            cliProgress.Presets.shades_classic,
          );
      bar?.start(1, 0);
      const poll = setInterval(async () => {
        const s = await service.status(actor, job.id).catch(() => undefined);
        if (s?.progress.total) bar?.setTotal(s.progress.total);
        if (s) bar?.update(s.progress.done);
      }, 500);
      const outcome = await service.run(job.id).finally(() => clearInterval(poll));
      bar?.stop();
      const state = await service.status(actor, job.id);
      if (outcome !== "built") {
        console.error(`${job.id} ${state.status}: ${state.error?.message ?? "not built"}`);
        return 1;
      }
      const dir = resolve(o.out ?? join("returns", job.id));
      mkdirSync(dir, { recursive: true });
      for (const f of state.files) {
        const { file } = await service.file(actor, job.id, f.name);
        writeFileSync(join(dir, f.name), file.bytes);
      }
      writeFileSync(
        join(dir, "risk-report.json"),
        `${JSON.stringify(await service.riskReport(actor, job.id), null, 2)}\n`,
      );
      console.log(`${job.id} built: ${state.files.map((f) => `${f.name} (${f.bytes} bytes)`).join(", ")} -> ${dir}`);
      return 0;
    }
    if (sub === "submit") {
      const id = args[0];
      if (!id) return "Name the job to submit";
      const result = await service.submit(actor, id);
      console.log(
        `${id} ${result.alreadySubmitted ? "already submitted" : "submitted"}: receipt ${result.receipt.receiptId ?? "(none)"} after ${result.receipt.attempts} attempt(s)`,
      );
      return 0;
    }
    return `Unknown returns command '${sub ?? ""}'`;
  } catch (err) {
    if (err instanceof GatewayError) {
      console.error(`${err.status}: ${err.message}`);
      return err.status === 403 ? 4 : 1;
    }
    throw err;
  } finally {
    await store.close();
  }
}
