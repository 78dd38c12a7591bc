/**
 * Which services know whom: adults with a mental health need on CPA with a trust, adults with an
 * alcohol or drug need in treatment with an NDTMS agency, and households whose children are open
 * to children's social care (child in need or child protection). Risk in a household (parental
 * mental health, substance misuse, domestic abuse, a young carer) raises the chance that its
 * children are known, which is what links the three sources.
 */
import { ALCOHOL_AGENCY, SHARES, SPECIALIST_TRUST } from "./config.js";
import { ageOn } from "./dates.js";
import type { PopulationIndex } from "./model.js";
import type { Rng } from "./prng.js";

export function assignServices(index: PopulationIndex, rng: Rng): void {
  const { pop } = index;
  const ref = pop.calendar.referenceDate;
  for (const p of pop.people) {
    if (p.kind !== "adult") continue;
    const r = rng.fork(`services/${p.id}`);
    const area = index.household(p.householdId).address.area;
    const age = ageOn(p.birthDate as string, ref);
    if (p.needs.mentalHealth && age <= 80 && r.chance(SHARES.onCpaGivenNeed)) {
      p.services.cpa = { org: r.chance(0.8) ? area.trust : SPECIALIST_TRUST };
    }
    if ((p.needs.alcohol || p.needs.drugs) && r.chance(SHARES.inTreatmentGivenNeed)) {
      const primary = p.needs.drugs ? "drugs" : "alcohol";
      const agency = primary === "alcohol" && r.chance(0.65) ? ALCOHOL_AGENCY : area.agency;
      p.services.ndtms = { agency, primary, alsoAlcohol: primary === "drugs" && p.needs.alcohol };
    }
  }

  for (const h of pop.households) {
    const children = index.minorsIn(h.id);
    if (children.length === 0) continue;
    const r = rng.fork(`csc/${h.id}`);
    const carers = index.carersIn(h.id);
    const risks =
      Number(carers.some((c) => c.needs.mentalHealth)) +
      Number(carers.some((c) => c.needs.alcohol || c.needs.drugs)) +
      Number(h.domesticAbuse !== "none") +
      Number(children.some((c) => c.youngCarerFor.length > 0));
    const p = Math.min(SHARES.cscMax, SHARES.cscBase + SHARES.cscPerRisk * risks);
    if (!r.chance(p)) continue;
    const level = r.chance(SHARES.cpGivenCsc + 0.08 * Math.max(0, risks - 1)) ? "cp" : "cin";
    const included = children.filter(() => r.chance(SHARES.cscChildIncluded));
    for (const c of included.length > 0 ? included : [children[0]]) {
      if (c) c.services.csc = level;
    }
  }
}
