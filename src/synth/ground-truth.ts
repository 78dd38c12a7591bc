/**
 * The ground truth: who everyone really is, where they live, who is whose parent, pregnancies,
 * young carers, the identifiers each source uses for each person (with the NHS number as issued
 * beside the one written), each adult's true and recorded parental status, and every piece of
 * noise applied. A linkage or flag test scores itself against this file.
 */
import type { CinChild, CinState } from "./cin.js";
import { type CpaLink, type CpaPatient, cpaRecordParentalStatus } from "./cpa.js";
import type { Person, PopulationIndex } from "./model.js";
import { type NdtmsLink, truePrntstat } from "./ndtms.js";
import type { NoiseEntry } from "./noise.js";
import type { SsdRelatedLink } from "./ssd.js";

export type ParentalStatus = "children-in-household" | "children-elsewhere" | "no-children";

/** DOMAIN.md §2 from the truth: a child under 18 (or unborn) in the household or staying overnight, else own children elsewhere, else none. */
export function trueParentalStatus(index: PopulationIndex, p: Person): ParentalStatus {
  if (index.minorsIn(p.householdId).length > 0) return "children-in-household";
  const own = index.childLinksOf(p.id).filter((l) => index.person(l.child).kind !== "adult");
  if (own.some((l) => l.overnight)) return "children-in-household";
  return own.length > 0 ? "children-elsewhere" : "no-children";
}

export interface GroundTruthInput {
  index: PopulationIndex;
  meta: Record<string, unknown>;
  cpa: { patients: CpaPatient[]; links: CpaLink[] };
  ndtms: NdtmsLink[];
  cin: { children: CinChild[]; states: Map<string, CinState> };
  /** The SSD extract: who each related-people row is, and the child NHS numbers written. */
  ssd: { related: SsdRelatedLink[]; nhsWritten: Map<string, string | undefined> };
  noise: NoiseEntry[];
}

export function buildGroundTruth(input: GroundTruthInput): Record<string, unknown> {
  const { index, cpa, ndtms, cin, ssd, noise } = input;
  const ssdRelated = new Map<string, Record<string, unknown>[]>();
  for (const l of ssd.related) {
    ssdRelated.set(l.personId, [
      ...(ssdRelated.get(l.personId) ?? []),
      {
        la: l.la,
        childId: l.childId,
        relatedPersonId: l.relatedPersonId,
        relationship: l.relationship,
        nhsNumberWritten: l.nhsNumberWritten ?? null,
      },
    ]);
  }
  const { pop } = index;
  const cpaBy = new Map<string, { link: CpaLink; record: CpaPatient }>();
  cpa.links.forEach((link, i) => {
    cpaBy.set(link.personId, { link, record: cpa.patients[i] as CpaPatient });
  });
  const listings = new Map<string, Record<string, unknown>[]>();
  for (const link of cpa.links) {
    for (const l of link.listed) {
      listings.set(l.personId, [
        ...(listings.get(l.personId) ?? []),
        {
          org: link.org,
          localPatientId: link.localPatientId,
          childLocalId: l.childLocalId,
          nhsNumberWritten: l.nhsNumberWritten ?? null,
          givenNameWritten: l.given ?? null,
          familyNameWritten: l.family,
        },
      ]);
    }
  }
  const ndtmsBy = new Map(ndtms.map((l) => [l.personId, l]));
  const cinBy = new Map(cin.children.map((c) => [c.personId, c]));

  const people = pop.people.map((p) => {
    const c = cpaBy.get(p.id);
    const n = ndtmsBy.get(p.id);
    const k = cinBy.get(p.id);
    const state = cin.states.get(p.id);
    return {
      personId: p.id,
      kind: p.kind,
      sex: p.sex,
      givenName: p.givenName ?? null,
      familyName: p.familyName,
      birthDate: p.birthDate ?? null,
      expectedBirthDate: p.expectedBirthDate ?? null,
      ethnicity: { mhsds: p.ethnicity.letter, cin: p.ethnicity.cin },
      nhsNumber: p.nhsNumber ?? null,
      householdId: p.householdId,
      role: p.role,
      ...(p.previousAddress
        ? {
            previousAddress: {
              uprn: p.previousAddress.address.uprn,
              postcode: p.previousAddress.address.postcode,
              lines: p.previousAddress.address.lines,
              until: p.previousAddress.until,
            },
          }
        : {}),
      ...(p.kind === "adult" ? { needs: p.needs } : {}),
      ...(p.disability ? { disability: p.disability } : {}),
      sources: {
        cpa: c
          ? {
              org: c.link.org,
              localPatientId: c.link.localPatientId,
              nhsNumberWritten: c.link.nhsNumberWritten ?? null,
              givenNameWritten: c.link.givenNameWritten ?? null,
              familyNameWritten: c.link.familyNameWritten,
              birthDateWritten: c.link.birthDateWritten ?? null,
              postcodeWritten: c.link.postcodeWritten,
              uprnWritten: c.link.uprnWritten ?? null,
              episodeOpen: c.link.episodeOpen,
            }
          : null,
        cpaHouseholdListings: listings.get(p.id) ?? [],
        ssd: cinBy.has(p.id)
          ? {
              la: cinBy.get(p.id)?.lea,
              personId: cinBy.get(p.id)?.laChildId,
              nhsNumberWritten: ssd.nhsWritten.get(p.id) ?? null,
            }
          : null,
        ssdRelatedPeople: ssdRelated.get(p.id) ?? [],
        ndtms: n
          ? {
              agency: n.agency,
              clientId: n.clientId,
              episodeIds: n.episodeIds,
              nhsNumberWritten: n.nhsNumberWritten ?? null,
              initialsWritten: n.initialsWritten,
              birthDateWritten: n.birthDateWritten ?? null,
              postcodeWritten: n.postcodeWritten,
              uprnWritten: n.uprnWritten ?? null,
              consent: n.consent,
            }
          : null,
        cin:
          k && state
            ? {
                la: k.lea,
                laChildId: k.laChildId,
                statusAtReferenceDate: state.status,
                everOnPlan: state.everOnPlan,
                factors: state.factors,
              }
            : null,
      },
    };
  });

  const households = pop.households.map((h) => ({
    householdId: h.id,
    uprn: h.address.uprn,
    postcode: h.address.postcode,
    addressLines: h.address.lines,
    la: h.address.area.lea,
    type: h.type,
    period: { start: h.formed, end: null },
    members: h.members.map((id) => {
      const m = index.person(id);
      return { personId: id, role: m.role, from: m.memberFrom };
    }),
    domesticAbuse: h.domesticAbuse,
  }));

  const parentalStatus = pop.people
    .filter((p) => p.kind === "adult" && (p.services.cpa || p.services.ndtms))
    .map((p) => {
      const c = cpaBy.get(p.id);
      const n = ndtmsBy.get(p.id);
      return {
        personId: p.id,
        truth: trueParentalStatus(index, p),
        ndtmsPrntstatTruth: truePrntstat(index, p).code,
        cpa: c
          ? {
              record: `${c.link.org}/${c.link.localPatientId}`,
              recording: c.link.recording,
              childrenQuestion: (c.record.Household?.ChildrenQuestion as string | undefined) ?? null,
              assessmentDate: c.link.assessmentDate ?? null,
              status: cpaRecordParentalStatus(c.record),
            }
          : null,
        ndtms: n ? { record: `${n.agency}/${n.clientId}`, prntstat: n.prntstatWritten } : null,
      };
    });

  const youngCarers = pop.people
    .filter((p) => p.youngCarerFor.length > 0)
    .map((p) => ({
      child: p.id,
      caresFor: p.youngCarerFor,
      cinFactor7A: cin.states.get(p.id)?.factors.includes("7A") ?? false,
      cpaRecordedYoungCarer: (listings.get(p.id) ?? []).map((l) => {
        const rec = cpaBy.get(cpa.links.find((x) => x.localPatientId === l.localPatientId)?.personId ?? "")?.record;
        const child = ((rec?.Household?.Children as Record<string, unknown>[] | undefined) ?? []).find(
          (ch) => ch.ChildLocalId === l.childLocalId,
        );
        return {
          record: `${l.org}/${l.localPatientId}`,
          youngCarer: (child?.YoungCarer as string | undefined) ?? null,
        };
      }),
    }));

  return {
    ...input.meta,
    householdCount: input.meta.households,
    people,
    households,
    relationships: {
      parentChild: pop.parentLinks.map((l) => ({
        parent: l.parent,
        child: l.child,
        kind: l.kind,
        livesTogether: l.resident,
        overnightContact: l.overnight,
      })),
      other: pop.otherLinks.map((l) => ({ a: l.from, b: l.to, kind: l.kind })),
    },
    pregnancies: pop.pregnancies.map((g) => ({
      mother: g.mother,
      unbornChild: g.unborn,
      father: g.father ?? null,
      expectedDeliveryDate: g.expectedDeliveryDate,
    })),
    youngCarers,
    parentalStatus,
    noise,
  };
}
