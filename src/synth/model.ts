/** The true synthetic population: people, households and relationships, before any source writes them. */
import type { Ethnicity } from "./codes.js";
import type { Area, Calendar } from "./config.js";

export type Sex = "M" | "F" | "U";

export interface Address {
  uprn: string;
  lines: string[];
  postcode: string;
  area: Area;
}

/** What an adult truly has, whether or not a service knows. */
export interface Needs {
  mentalHealth: boolean;
  alcohol: boolean;
  drugs: boolean;
  /** Physical illness or disability (CIN factor 6B when a parent). */
  illness: boolean;
}

export type HouseholdRole = "parent" | "partner" | "child" | "unborn" | "grandparent" | "other-adult";

/** Which services an adult or child is truly known to (chosen before any record is written). */
export interface Services {
  cpa?: { org: string };
  ndtms?: { agency: string; primary: "alcohol" | "drugs"; alsoAlcohol: boolean };
  /** Children's social care involvement of a child (or unborn child). */
  csc?: "cin" | "cp";
}

export interface Person {
  id: string;
  kind: "adult" | "child" | "unborn";
  sex: Sex;
  /** Undefined for an unborn child. */
  givenName?: string;
  familyName: string;
  birthDate?: string;
  /** Unborn children only. */
  expectedBirthDate?: string;
  ethnicity: Ethnicity;
  /** As issued; undefined for an unborn child. */
  nhsNumber?: string;
  householdId: string;
  role: HouseholdRole;
  /** When the person joined the household (birth, moving in). */
  memberFrom: string;
  /** Address before a recent move into this household. */
  previousAddress?: { address: Address; until: string };
  needs: Needs;
  /** CIN disability code for a child with a disability. */
  disability?: string;
  /** Ids of the household adults a young carer looks after. */
  youngCarerFor: string[];
  services: Services;
}

export type HouseholdType =
  | "single-adult"
  | "couple"
  | "single-parent"
  | "couple-with-children"
  | "three-generation"
  | "sharers";

export interface Household {
  id: string;
  type: HouseholdType;
  address: Address;
  formed: string;
  members: string[];
  /** Several adult needs cluster here (drives the service shares). */
  complex: boolean;
  /** Domestic abuse: none, a parent/carer is the subject (3B), or another household member (3C). */
  domesticAbuse: "none" | "parent" | "other";
}

/** A parent (or step-parent) and a child, with where the child lives. */
export interface ParentLink {
  parent: string;
  child: string;
  kind: "mother" | "father" | "step-parent";
  /** The child lives in the parent's household. */
  resident: boolean;
  /** A non-resident child stays overnight with this parent. */
  overnight: boolean;
}

export interface OtherLink {
  from: string;
  to: string;
  kind: "partner" | "sibling" | "housemate";
}

export interface Pregnancy {
  mother: string;
  unborn: string;
  father?: string;
  expectedDeliveryDate: string;
}

export interface Population {
  calendar: Calendar;
  people: Person[];
  households: Household[];
  parentLinks: ParentLink[];
  otherLinks: OtherLink[];
  pregnancies: Pregnancy[];
}

/** Lookups over a population. */
export class PopulationIndex {
  private readonly people = new Map<string, Person>();
  private readonly households = new Map<string, Household>();
  private readonly parentsOf = new Map<string, ParentLink[]>();
  private readonly childrenOf = new Map<string, ParentLink[]>();
  private readonly partners = new Map<string, string>();

  constructor(readonly pop: Population) {
    for (const p of pop.people) this.people.set(p.id, p);
    for (const h of pop.households) this.households.set(h.id, h);
    for (const l of pop.parentLinks) {
      this.parentsOf.set(l.child, [...(this.parentsOf.get(l.child) ?? []), l]);
      this.childrenOf.set(l.parent, [...(this.childrenOf.get(l.parent) ?? []), l]);
    }
    for (const o of pop.otherLinks) {
      if (o.kind !== "partner") continue;
      this.partners.set(o.from, o.to);
      this.partners.set(o.to, o.from);
    }
  }

  person(id: string): Person {
    const p = this.people.get(id);
    if (!p) throw new Error(`no person ${id}`);
    return p;
  }

  household(id: string): Household {
    const h = this.households.get(id);
    if (!h) throw new Error(`no household ${id}`);
    return h;
  }

  members(householdId: string): Person[] {
    return this.household(householdId).members.map((id) => this.person(id));
  }

  parentLinksOf(childId: string): ParentLink[] {
    return this.parentsOf.get(childId) ?? [];
  }

  childLinksOf(parentId: string): ParentLink[] {
    return this.childrenOf.get(parentId) ?? [];
  }

  partnerOf(id: string): Person | undefined {
    const other = this.partners.get(id);
    return other ? this.person(other) : undefined;
  }

  /** Minors (under 18 on the reference date) and unborn children in a household. */
  minorsIn(householdId: string): Person[] {
    return this.members(householdId).filter((p) => p.kind !== "adult");
  }

  /** The adults who care for the household's children: resident parents and step-parents, else every adult. */
  carersIn(householdId: string): Person[] {
    const adults = this.members(householdId).filter((p) => p.kind === "adult");
    const carers = adults.filter((a) => a.role === "parent" || a.role === "partner");
    return carers.length > 0 ? carers : adults;
  }
}
