/**
 * Children's case records shaped like the Standard Safeguarding Dataset (docs/sources/ssd.md) for the
 * children the CIN census holds: the same LA child ids, dates and codes as the census, plus what the
 * census lacks — names, NHS numbers, dated addresses with UPRNs, the allocated worker and team, and the
 * project's tfg_related_people table written from the household model (parents wherever they live,
 * everyone else in the child's household).
 */
import type { CinChild } from "./cin.js";
import { AREAS } from "./config.js";
import type { Address, Person, PopulationIndex } from "./model.js";
import type { Rng } from "./prng.js";

type Row = Record<string, string | undefined>;

/** The tables of one LA's extract, in the order docs/sources/ssd.md lists them, with their columns. */
export const SSD_COLUMNS: Readonly<Record<string, readonly string[]>> = {
  tfg_extract: ["la_code"],
  ssd_person: [
    "pers_person_id",
    "pers_upn",
    "pers_upn_unknown",
    "pers_forename",
    "pers_surname",
    "pers_sex",
    "pers_ethnicity",
    "pers_dob",
    "pers_expected_dob",
    "pers_single_unique_id",
  ],
  ssd_address: [
    "addr_table_id",
    "addr_person_id",
    "addr_address_type",
    "addr_address_start_date",
    "addr_address_end_date",
    "addr_address_postcode",
    "addr_address_json",
  ],
  ssd_family: ["fami_table_id", "fami_family_id", "fami_person_id"],
  ssd_mother: ["moth_table_id", "moth_person_id", "moth_childs_person_id", "moth_childs_dob"],
  ssd_involvements: [
    "invo_involvements_id",
    "invo_professional_id",
    "invo_professional_role_id",
    "invo_professional_team",
    "invo_person_id",
    "invo_involvement_start_date",
    "invo_involvement_end_date",
    "invo_referral_id",
  ],
  ssd_professionals: [
    "prof_professional_id",
    "prof_staff_id",
    "prof_professional_name",
    "prof_social_worker_registration_no",
    "prof_professional_job_title",
  ],
  ssd_cin_episodes: [
    "cine_referral_id",
    "cine_person_id",
    "cine_referral_date",
    "cine_cin_primary_need_code",
    "cine_referral_source_code",
    "cine_referral_nfa",
    "cine_close_reason",
    "cine_close_date",
  ],
  ssd_cp_plans: [
    "cppl_cp_plan_id",
    "cppl_referral_id",
    "cppl_person_id",
    "cppl_cp_plan_start_date",
    "cppl_cp_plan_end_date",
    "cppl_cp_plan_initial_category",
    "cppl_cp_plan_latest_category",
  ],
  ssd_cla_episodes: [
    "clae_cla_episode_id",
    "clae_person_id",
    "clae_cla_episode_start_date",
    "clae_cla_episode_start_reason",
    "clae_cla_primary_need_code",
    "clae_cla_episode_ceased_date",
    "clae_cla_episode_ceased_reason",
  ],
  ssd_disability: ["disa_table_id", "disa_person_id", "disa_disability_code"],
  tfg_related_people: [
    "relp_person_id",
    "relp_related_person_id",
    "relp_pers_person_id",
    "relp_forename",
    "relp_surname",
    "relp_dob",
    "relp_sex",
    "relp_nhs_number",
    "relp_relationship",
    "relp_lives_with_child",
    "relp_parental_responsibility",
    "relp_start_date",
    "relp_end_date",
    "relp_address_postcode",
    "relp_address_json",
  ],
};

/** SystemC's CP category descriptions (SSD copies the text, not the census code). */
const CATEGORY_TEXT: Readonly<Record<string, string>> = {
  NEG: "Neglect",
  PHY: "Physical abuse",
  SAB: "Sexual abuse",
  EMO: "Emotional abuse",
  MUL: "Multiple",
};

const WORKER_NAMES = ["Alex", "Sam", "Jo", "Chris", "Pat", "Robin", "Kim", "Lee"] as const;
const WORKER_SURNAMES = ["Worker", "Caseworth", "Allocated", "Teamlead", "Fieldwork"] as const;

/** One related person as written, for the ground truth. */
export interface SsdRelatedLink {
  la: string;
  childId: string;
  relatedPersonId: string;
  personId: string;
  relationship: string;
  nhsNumberWritten?: string;
}

/** One LA's extract: table name → rows. */
export type SsdExtract = Record<string, Row[]>;

/** The address as SSD's `addr_address_json` object (every key present, `""` when missing). */
export function addressJson(a: Address): string {
  const first = a.lines[0] ?? "";
  const flat = /^(Flat \d+), (.*)$/.exec(first);
  const rest = flat ? (flat[2] as string) : first;
  const house = /^(\d+) (.*)$/.exec(rest);
  return JSON.stringify({
    ROOM: "",
    FLOOR: "",
    FLAT: flat ? flat[1] : "",
    BUILDING: "",
    HOUSE: house ? house[1] : "",
    STREET: house ? house[2] : rest,
    TOWN: a.lines[a.lines.length - 1] ?? "",
    UPRN: a.uprn,
    EASTING: "",
    NORTHING: "",
  });
}

/** What a related person is to the child (tfg_related_people.relp_relationship). */
function relationshipOf(index: PopulationIndex, child: Person, other: Person): string {
  const link = index.parentLinksOf(child.id).find((l) => l.parent === other.id);
  if (link) return link.kind;
  const sharedParent = index
    .parentLinksOf(child.id)
    .some((l) => index.parentLinksOf(other.id).some((m) => m.parent === l.parent));
  if (other.kind !== "adult") return sharedParent ? "sibling" : "other-household-member";
  if (other.role === "grandparent") return "grandparent";
  if (other.role === "partner" || other.role === "parent") return "parent-partner";
  return "other-household-member";
}

/**
 * Builds each LA's extract. `laChildIdOf` maps a person to their census LA child id (the SSD
 * `pers_person_id`), so a related person who is also a CIN child is linked by `relp_pers_person_id`.
 */
export function buildSsd(
  index: PopulationIndex,
  rng: Rng,
  children: CinChild[],
): { extracts: Map<string, SsdExtract>; related: SsdRelatedLink[]; nhsWritten: Map<string, string | undefined> } {
  const extracts = new Map<string, SsdExtract>();
  for (const area of AREAS) {
    const e: SsdExtract = Object.fromEntries(Object.keys(SSD_COLUMNS).map((t) => [t, []]));
    e.tfg_extract?.push({ la_code: area.lea });
    extracts.set(area.lea, e);
  }
  const cinId = new Map(children.map((c) => [c.personId, c]));
  const related: SsdRelatedLink[] = [];
  const nhsWritten = new Map<string, string | undefined>();
  const professionals = new Map<string, Set<string>>();
  for (const c of children) {
    const e = extracts.get(c.lea) as SsdExtract;
    const r = rng.fork(`ssd/${c.personId}`);
    const p = index.person(c.personId);
    const household = index.household(p.householdId);
    // Most case systems hold the child's NHS number; some extracts leave pers_single_unique_id empty.
    const nhs = p.nhsNumber && r.chance(0.85) ? p.nhsNumber : undefined;
    nhsWritten.set(p.id, nhs);
    e.ssd_person?.push({
      pers_person_id: c.laChildId,
      pers_upn: c.upn,
      pers_upn_unknown: c.upnUnknown,
      pers_forename: p.givenName,
      pers_surname: p.familyName,
      pers_sex: c.sex,
      pers_ethnicity: c.ethnicity,
      pers_dob: c.birthDate,
      pers_expected_dob: c.expectedBirthDate,
      pers_single_unique_id: nhs,
    });
    const addresses: Row[] = [];
    if (p.previousAddress) {
      addresses.push({
        addr_address_start_date: p.birthDate,
        addr_address_end_date: p.previousAddress.until,
        addr_address_postcode: p.previousAddress.address.postcode,
        addr_address_json: addressJson(p.previousAddress.address),
      });
    }
    if (p.kind !== "unborn") {
      addresses.push({
        addr_address_start_date: p.previousAddress?.until ?? p.memberFrom,
        addr_address_postcode: household.address.postcode,
        addr_address_json: addressJson(household.address),
      });
    }
    addresses.forEach((a, i) => {
      e.ssd_address?.push({
        addr_table_id: `${c.laChildId}A${i + 1}`,
        addr_person_id: c.laChildId,
        addr_address_type: "Primary Address",
        ...a,
      });
    });
    e.ssd_family?.push({
      fami_table_id: `${c.laChildId}F1`,
      fami_family_id: household.id,
      fami_person_id: c.laChildId,
    });
    c.disabilities.forEach((d, i) => {
      e.ssd_disability?.push({
        disa_table_id: `${c.laChildId}D${i + 1}`,
        disa_person_id: c.laChildId,
        disa_disability_code: d,
      });
    });
    c.episodes.forEach((ep, i) => {
      const referralId = `${c.laChildId}R${i + 1}`;
      e.ssd_cin_episodes?.push({
        cine_referral_id: referralId,
        cine_person_id: c.laChildId,
        cine_referral_date: ep.referralDate,
        cine_cin_primary_need_code: ep.primaryNeed,
        cine_referral_source_code: ep.referralSource,
        cine_referral_nfa: ep.nfa ? "Y" : "N",
        cine_close_reason: ep.closureReason,
        cine_close_date: ep.closureDate,
      });
      ep.cpps.forEach((cpp, j) => {
        e.ssd_cp_plans?.push({
          cppl_cp_plan_id: `${referralId}P${j + 1}`,
          cppl_referral_id: referralId,
          cppl_person_id: c.laChildId,
          cppl_cp_plan_start_date: cpp.start,
          cppl_cp_plan_end_date: cpp.end,
          cppl_cp_plan_initial_category: CATEGORY_TEXT[cpp.initialCategory] ?? cpp.initialCategory,
          cppl_cp_plan_latest_category: CATEGORY_TEXT[cpp.latestCategory] ?? cpp.latestCategory,
        });
      });
      if (ep.nfa) return;
      // An allocated case worker from the LA's pool of twelve, in one of three teams.
      const n = r.int(1, 12);
      const worker = `${c.lea}W${String(n).padStart(3, "0")}`;
      const team = `${c.lea}T${(n % 3) + 1}`;
      const used = professionals.get(c.lea) ?? new Set<string>();
      professionals.set(c.lea, used);
      if (!used.has(worker)) {
        used.add(worker);
        e.ssd_professionals?.push({
          prof_professional_id: worker,
          prof_staff_id: `S${c.lea}${String(n).padStart(4, "0")}`,
          prof_professional_name: `${WORKER_NAMES[n % WORKER_NAMES.length]} ${WORKER_SURNAMES[n % WORKER_SURNAMES.length]}`,
          prof_social_worker_registration_no: `SW${c.lea}${String(n).padStart(4, "0")}`,
          prof_professional_job_title: n % 4 === 0 ? "Senior Social Worker" : "Social Worker",
        });
      }
      e.ssd_involvements?.push({
        invo_involvements_id: `${referralId}I1`,
        invo_professional_id: worker,
        invo_professional_role_id: "CW",
        invo_professional_team: team,
        invo_person_id: c.laChildId,
        invo_involvement_start_date: ep.referralDate,
        invo_involvement_end_date: ep.closureDate,
        invo_referral_id: referralId,
      });
    });
    // Related people: the child's parents wherever they live, then everyone else in the household.
    const others = new Map<string, Person>();
    for (const l of index.parentLinksOf(p.id)) others.set(l.parent, index.person(l.parent));
    for (const m of index.members(p.householdId)) if (m.id !== p.id && m.kind !== "unborn") others.set(m.id, m);
    for (const o of others.values()) {
      const relationship = relationshipOf(index, p, o);
      const link = index.parentLinksOf(p.id).find((l) => l.parent === o.id);
      const livesWith = o.householdId === p.householdId;
      const home = index.household(o.householdId).address;
      const relatedId = `${c.lea}RP${o.id}`;
      const nhsNumber = o.nhsNumber && r.chance(o.kind === "adult" ? 0.6 : 0.8) ? o.nhsNumber : undefined;
      const start = [o.memberFrom, p.memberFrom, p.birthDate ?? ""].sort().pop();
      const sibling = cinId.get(o.id);
      e.tfg_related_people?.push({
        relp_person_id: c.laChildId,
        relp_related_person_id: relatedId,
        relp_pers_person_id: sibling && sibling.lea === c.lea ? sibling.laChildId : undefined,
        relp_forename: o.givenName,
        relp_surname: o.familyName,
        relp_dob: o.birthDate,
        relp_sex: o.sex,
        relp_nhs_number: nhsNumber,
        relp_relationship: relationship,
        relp_lives_with_child: livesWith ? "Y" : "N",
        relp_parental_responsibility: link ? (link.kind === "step-parent" ? "N" : "Y") : "N",
        relp_start_date: link ? (p.birthDate ?? undefined) : livesWith ? start : undefined,
        relp_address_postcode: home.postcode,
        relp_address_json: addressJson(home),
      });
      related.push({
        la: c.lea,
        childId: c.laChildId,
        relatedPersonId: relatedId,
        personId: o.id,
        relationship,
        ...(nhsNumber ? { nhsNumberWritten: nhsNumber } : {}),
      });
    }
  }
  // A child in the extract who is the mother of another child in it (SSDA903 "child is a mother").
  for (const c of children) {
    for (const l of index.childLinksOf(c.personId)) {
      const baby = cinId.get(l.child);
      if (l.kind !== "mother" || !baby || baby.lea !== c.lea) continue;
      extracts.get(c.lea)?.ssd_mother?.push({
        moth_table_id: `${c.laChildId}M${baby.laChildId}`,
        moth_person_id: c.laChildId,
        moth_childs_person_id: baby.laChildId,
        moth_childs_dob: baby.birthDate,
      });
    }
  }
  return { extracts, related, nhsWritten };
}
