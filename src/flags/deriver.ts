/**
 * The think-family flags deriver (DOMAIN.md §3, docs/FLAGS.md): for every Patient record a commit may
 * affect, recomputes every flag from the facts read through the view and returns the Flags (and their
 * Provenance) whose content that gives; a Flag that no longer holds becomes `inactive`, never deleted.
 */

import { CachedView } from "../derive/cached-view.js";
import type { DerivedResource, Deriver } from "../derive/port.js";
import { affectedSubjects } from "./affected.js";
import { DERIVED_SOURCE, DERIVER_NAME, FLAG_CODES, type FlagCode } from "./codes.js";
import { latest } from "./dates.js";
import { FactReader } from "./facts.js";
import { flagFor, flagId, noLongerHolds } from "./resources.js";
import { dataDates, type Reason, reasons } from "./rules.js";

/** Every Flag and Provenance for `subject` as its facts now give them. */
async function flagsOf(view: CachedView, facts: FactReader, subject: string): Promise<DerivedResource[]> {
  const out: DerivedResource[] = [];
  const existing = (await view.byReference("Flag", "subject", [`Patient/${subject}`])).filter(
    (f) => (f.meta as { source?: unknown } | undefined)?.source === DERIVED_SOURCE,
  );
  const byCode = new Map<FlagCode, Reason[]>();
  const patient = await view.read("Patient", subject);
  let asOf: string | undefined;
  if (patient) {
    const f = await facts.subject(subject);
    asOf = latest(dataDates(f));
    for (const r of reasons(f)) byCode.set(r.code, [...(byCode.get(r.code) ?? []), r]);
  }
  for (const code of FLAG_CODES) {
    const rs = byCode.get(code);
    if (rs && rs.length > 0) {
      out.push(...flagFor(code, subject, rs, asOf));
      continue;
    }
    const stored = existing.find((f) => f.id === flagId(code, subject));
    if (stored) out.push(...noLongerHolds(stored, subject));
  }
  return out;
}

/** The flags step of the derivation chain (src/derive/chain.ts), after the person index and households. */
export const flagsDeriver: Deriver = {
  name: DERIVER_NAME,
  async derive({ view, touched }) {
    const cached = new CachedView(view);
    const facts = new FactReader(cached);
    const subjects = await affectedSubjects(cached, facts, touched);
    await facts.prefetch(subjects);
    const resources: DerivedResource[] = [];
    for (const subject of subjects) resources.push(...(await flagsOf(cached, facts, subject)));
    resources.sort((a, b) =>
      a.resourceType === b.resourceType
        ? a.id < b.id
          ? -1
          : a.id > b.id
            ? 1
            : 0
        : a.resourceType < b.resourceType
          ? -1
          : 1,
    );
    return { resources };
  },
};
