/** CPA derivations that pick, for a date, the care coordinator and the CPA episode it belongs to. */
import { valuesAtPath } from "../paths.js";
import type { Derivation } from "../template.js";

interface Dated {
  start?: string;
  end?: string;
  id?: string;
}

/** The item whose [start, end] covers `on`; else the latest started. */
function pick(items: Dated[], on: string | undefined): string | undefined {
  const started = items
    .filter((i) => i.start && i.id)
    .sort((a, b) => (a.start as string).localeCompare(b.start as string));
  if (on) {
    const covering = started.filter((i) => (i.start as string) <= on && (!i.end || i.end >= on));
    if (covering.length) return covering[covering.length - 1]?.id;
  }
  const open = started.filter((i) => !i.end);
  return (open[open.length - 1] ?? started[started.length - 1])?.id;
}

/** CareProfLocalId of the care coordinator on `args.on` (a path) or now. */
export const careCoordinatorId: Derivation = (scope, args, ctx) => {
  ctx.read.add("MHS006MHCareCoord.StartDateAssCareCoord");
  ctx.read.add("MHS006MHCareCoord.EndDateAssCareCoord");
  const on = typeof args.on === "string" ? (valuesAtPath(scope, args.on)[0] as string | undefined) : undefined;
  const items = valuesAtPath(scope, "^MHS006MHCareCoord[]") as Record<string, string>[];
  return pick(
    items.map((i) => ({ start: i.StartDateAssCareCoord, end: i.EndDateAssCareCoord, id: i.CareProfLocalId })),
    on,
  );
};

/** CareProfTeamLocalId of the coordinator picked as above. */
export const careTeamId: Derivation = (scope, args, ctx) => {
  const id = careCoordinatorId(scope, args, ctx);
  const items = valuesAtPath(scope, "^MHS006MHCareCoord[]") as Record<string, string>[];
  return items.find((i) => i.CareProfLocalId === id)?.CareProfTeamLocalId;
};

/** CPAEpisodeId of the CPA episode covering the date at `args.on` (a path), else the latest. */
export const cpaEpisodeAt: Derivation = (scope, args, ctx) => {
  ctx.read.add("MHS701CPACareEpisode.StartDateCPA");
  ctx.read.add("MHS701CPACareEpisode.EndDateCPA");
  const on = typeof args.on === "string" ? (valuesAtPath(scope, args.on)[0] as string | undefined) : undefined;
  const items = valuesAtPath(scope, "^MHS701CPACareEpisode[]") as Record<string, string>[];
  return pick(
    items.map((i) => ({ start: i.StartDateCPA, end: i.EndDateCPA, id: i.CPAEpisodeId })),
    on,
  );
};
