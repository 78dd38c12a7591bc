/**
 * Builds the true population: households at synthetic addresses (UPRN starting 9, `ZZ99`
 * postcodes, invented streets), the adults and children in them with names, sex, dates of birth,
 * ethnicity and test-range NHS numbers, pregnancies, parents who live elsewhere, adult needs,
 * domestic abuse and young carers. Nothing here is yet a source record.
 */
import { ETHNICITIES, type Ethnicity } from "./codes.js";
import { AREAS, type Area, type Calendar, SHARES } from "./config.js";
import { addDays, addYears, ageOn, birthDateForAge, maxDate, randomDate, toDay } from "./dates.js";
import { issueNhsNumber, issueUprn } from "./identifiers.js";
import type {
  Address,
  Household,
  HouseholdRole,
  HouseholdType,
  Needs,
  OtherLink,
  ParentLink,
  Person,
  Population,
  Pregnancy,
  Sex,
} from "./model.js";
import { DISTRICTS, FAMILY_NAMES, FEMALE_NAMES, MALE_NAMES, streetName } from "./names.js";
import type { Rng } from "./prng.js";

const POSTCODE_LETTERS = "ABDEFGHJLNPQRSTUWXYZ";

interface Street {
  name: string;
  district: string;
  town: string;
  postcode: string;
  numbers: Set<number>;
}

/** Invented streets per area, each with one postcode shared by its houses; hands out unique addresses. */
class AddressBook {
  private readonly streets = new Map<string, Street[]>();
  private readonly usedUprns = new Set<string>();

  constructor(rng: Rng, households: number) {
    const perArea = Math.max(4, Math.ceil(households / 8 / AREAS.length));
    const postcodes = new Set<string>();
    for (const area of AREAS) {
      const list: Street[] = [];
      const names = new Set<string>();
      for (let i = 0; i < perArea; i++) {
        let name = streetName(rng);
        for (let t = 0; t < 20 && names.has(name); t++) name = streetName(rng);
        names.add(name);
        let postcode = "";
        for (let t = 0; t < 30; t++) {
          postcode = `ZZ99 ${rng.pick(area.postcodeDigits)}${rng.pick([...POSTCODE_LETTERS])}${rng.pick([...POSTCODE_LETTERS])}`;
          if (!postcodes.has(postcode)) break;
        }
        postcodes.add(postcode);
        const districts = DISTRICTS[area.town] ?? [area.town];
        list.push({ name, district: rng.pick(districts), town: area.town, postcode, numbers: new Set() });
      }
      this.streets.set(area.lea, list);
    }
  }

  newAddress(rng: Rng, area: Area): Address {
    const street = rng.pick(this.streets.get(area.lea) ?? []);
    let n = rng.int(1, 240);
    while (street.numbers.has(n)) n++;
    street.numbers.add(n);
    const first = rng.chance(0.12) ? `Flat ${rng.int(1, 8)}, ${n} ${street.name}` : `${n} ${street.name}`;
    const lines = street.district === street.town ? [first, street.town] : [first, street.district, street.town];
    return { uprn: issueUprn(rng, this.usedUprns), lines, postcode: street.postcode, area };
  }
}

/** An absent parent to find elsewhere in the population for these children. */
interface AbsentSlot {
  children: string[];
  sex: Sex;
  householdId: string;
}

class Builder {
  readonly people: Person[] = [];
  readonly households: Household[] = [];
  readonly parentLinks: ParentLink[] = [];
  readonly otherLinks: OtherLink[] = [];
  readonly pregnancies: Pregnancy[] = [];
  readonly slots: AbsentSlot[] = [];
  readonly usedNhs = new Set<string>();

  constructor(
    readonly calendar: Calendar,
    readonly book: AddressBook,
  ) {}

  get ref(): string {
    return this.calendar.referenceDate;
  }

  person(
    rng: Rng,
    h: Household,
    init: {
      kind: Person["kind"];
      sex: Sex;
      age?: number;
      birthDate?: string;
      familyName: string;
      ethnicity: Ethnicity;
      role: HouseholdRole;
      avoidGiven?: Set<string>;
    },
  ): Person {
    const id = `P${String(this.people.length + 1).padStart(6, "0")}`;
    const p: Person = {
      id,
      kind: init.kind,
      sex: init.sex,
      familyName: init.familyName,
      ethnicity: init.ethnicity,
      householdId: h.id,
      role: init.role,
      memberFrom: h.formed,
      needs: { mentalHealth: false, alcohol: false, drugs: false, illness: false },
      youngCarerFor: [],
      services: {},
    };
    if (init.kind !== "unborn") {
      const list = init.sex === "F" ? FEMALE_NAMES : MALE_NAMES;
      let given = rng.pick(list);
      for (let t = 0; t < 10 && init.avoidGiven?.has(given); t++) given = rng.pick(list);
      init.avoidGiven?.add(given);
      p.givenName = given;
      p.birthDate = init.birthDate ?? birthDateForAge(rng, init.age ?? 30, this.ref);
      p.memberFrom = maxDate(h.formed, p.birthDate);
      p.nhsNumber = issueNhsNumber(rng, this.usedNhs);
    }
    this.people.push(p);
    h.members.push(id);
    return p;
  }
}

const pickEthnicity = (rng: Rng): Ethnicity => rng.weighted(ETHNICITIES.map((e) => [e, e.weight] as const));

/** A child's ethnicity from the parents': the shared group, else a mixed code. */
function childEthnicity(rng: Rng, a: Ethnicity, b?: Ethnicity): Ethnicity {
  if (!b || a.letter === b.letter) return a;
  if (a.group === b.group) return rng.pick([a, b]);
  const groups = new Set([a.group, b.group]);
  const letter =
    groups.has("white") && groups.has("black")
      ? rng.pick(["D", "E"])
      : groups.has("white") && groups.has("asian")
        ? "F"
        : "G";
  return ETHNICITIES.find((e) => e.letter === letter) ?? a;
}

const adultAge = (rng: Rng): number =>
  rng.weighted([
    [rng.int(18, 29), 25],
    [rng.int(30, 44), 30],
    [rng.int(45, 64), 30],
    [rng.int(65, 85), 15],
  ]);

function needsFor(rng: Rng, complex: boolean, age: number): Needs {
  const k = complex ? "complex" : "other";
  return {
    mentalHealth: rng.chance(SHARES.mentalHealthNeed[k]),
    alcohol: rng.chance(SHARES.alcoholNeed[k] * (age > 70 ? 0.4 : 1)),
    drugs: rng.chance(SHARES.drugNeed[k] * (age > 60 ? 0.2 : 1)),
    illness: rng.chance(0.06),
  };
}

/** Ages (0–17) of a parent's children, oldest first, each born when the parent was at least 17. */
function childAges(rng: Rng, parentAge: number): number[] {
  const n = rng.weighted([
    [1, 40],
    [2, 35],
    [3, 17],
    [4, 8],
  ]);
  const oldest = Math.min(17, parentAge - 17);
  if (oldest < 0) return [];
  return Array.from({ length: n }, () => rng.int(0, oldest)).sort((a, b) => b - a);
}

function buildHousehold(b: Builder, rng: Rng, index: number): void {
  const ref = b.ref;
  const type = rng.weighted<HouseholdType>([
    ["single-adult", 22],
    ["couple", 14],
    ["single-parent", 22],
    ["couple-with-children", 28],
    ["three-generation", 6],
    ["sharers", 8],
  ]);
  const area = rng.weighted(AREAS.map((a, i) => [a, i === 0 ? 55 : 45] as const));
  const h: Household = {
    id: `H${String(index + 1).padStart(5, "0")}`,
    type,
    address: b.book.newAddress(rng, area),
    formed: addDays(ref, -rng.int(60, 12 * 365)),
    members: [],
    complex: rng.chance(SHARES.complexHousehold),
    domesticAbuse: "none",
  };
  b.households.push(h);
  const eth = pickEthnicity(rng);
  const family = rng.pick(FAMILY_NAMES);
  const given = new Set<string>();
  const adult = (sex: Sex, age: number, role: HouseholdRole, familyName = family, ethnicity = eth) =>
    b.person(rng, h, { kind: "adult", sex, age, familyName, ethnicity, role });
  const otherSex = (s: Sex): Sex => (s === "F" ? "M" : "F");
  const partnerName = () => (rng.chance(0.4) ? rng.pick(FAMILY_NAMES) : family);
  const partnerEthnicity = () => (rng.chance(0.15) ? pickEthnicity(rng) : eth);
  const localLinks: OtherLink[] = [];
  const localParents: ParentLink[] = [];
  const link = (from: string, to: string, kind: OtherLink["kind"]) => {
    const l = { from, to, kind };
    b.otherLinks.push(l);
    localLinks.push(l);
  };
  const parentLink = (l: ParentLink) => {
    b.parentLinks.push(l);
    localParents.push(l);
  };

  /** Children of `parent` (and `other` when that adult is also their parent); returns them. */
  const children = (parent: Person, ages: number[], other?: { person: Person; isParent: boolean }): Person[] => {
    const kids: Person[] = [];
    let previous: string | undefined;
    for (const age of ages) {
      // Siblings are born at least ten months apart, except the odd pair of twins.
      let birthDate = birthDateForAge(rng, age, ref);
      if (previous && birthDate < addDays(previous, 300)) {
        birthDate = rng.chance(0.03) ? previous : addDays(previous, rng.int(300, 700));
      }
      if (birthDate > ref) break;
      previous = birthDate;
      const sex: Sex = rng.chance(0.51) ? "M" : "F";
      const otherParent = other?.isParent ? other.person : undefined;
      let familyName = parent.familyName;
      if (otherParent && otherParent.familyName !== parent.familyName) {
        const r = rng.float();
        familyName =
          r < 0.08 ? `${parent.familyName}-${otherParent.familyName}` : r < 0.6 ? otherParent.familyName : familyName;
      }
      const kid = b.person(rng, h, {
        kind: "child",
        sex,
        birthDate,
        familyName,
        ethnicity: childEthnicity(rng, parent.ethnicity, otherParent?.ethnicity),
        role: "child",
        avoidGiven: given,
      });
      if (rng.chance(0.06)) kid.disability = rng.pick(["LD", "AUT", "COMM", "MOB", "BEH", "HEAR", "VIS"]);
      const parentKind = (p: Person): ParentLink["kind"] => (p.sex === "F" ? "mother" : "father");
      parentLink({ parent: parent.id, child: kid.id, kind: parentKind(parent), resident: true, overnight: false });
      if (other) {
        parentLink({
          parent: other.person.id,
          child: kid.id,
          kind: other.isParent ? parentKind(other.person) : "step-parent",
          resident: true,
          overnight: false,
        });
      }
      kids.push(kid);
    }
    return kids;
  };

  /** Sometimes an adult son or daughter (18–24) still lives at home: another household member for the C factors. */
  const adultChild = (parent: Person, other?: Person) => {
    const pAge = ageOn(parent.birthDate as string, ref);
    if (pAge < 38 || !rng.chance(0.18)) return;
    const age = rng.int(18, Math.min(24, pAge - 18));
    const grown = adult(rng.chance(0.5) ? "F" : "M", age, "other-adult", parent.familyName, parent.ethnicity);
    parentLink({
      parent: parent.id,
      child: grown.id,
      kind: parent.sex === "F" ? "mother" : "father",
      resident: true,
      overnight: false,
    });
    if (other)
      parentLink({
        parent: other.id,
        child: grown.id,
        kind: other.sex === "F" ? "mother" : "father",
        resident: true,
        overnight: false,
      });
  };

  switch (type) {
    case "single-adult": {
      adult(rng.chance(0.5) ? "F" : "M", adultAge(rng), "other-adult");
      break;
    }
    case "couple": {
      const age = rng.int(20, 80);
      const a = adult("F", age, "partner");
      const bSex: Sex = rng.chance(0.05) ? "F" : "M";
      const partner = adult(bSex, Math.max(18, age + rng.int(-3, 8)), "partner", partnerName(), partnerEthnicity());
      link(a.id, partner.id, "partner");
      break;
    }
    case "single-parent": {
      const sex: Sex = rng.chance(0.86) ? "F" : "M";
      const parent = adult(sex, rng.int(19, 52), "parent");
      const kids = children(parent, childAges(rng, ageOn(parent.birthDate as string, ref)));
      if (kids.length) b.slots.push({ children: kids.map((k) => k.id), sex: otherSex(sex), householdId: h.id });
      adultChild(parent);
      break;
    }
    case "couple-with-children": {
      const mAge = rng.int(20, 50);
      const mother = adult("F", mAge, "parent");
      const sameSex = rng.chance(0.04);
      const isParent = !sameSex && !rng.chance(SHARES.partnerNotParent);
      const ages = childAges(rng, mAge);
      const pAge = Math.max(19, mAge + rng.int(-3, 8), isParent ? (ages[0] ?? 0) + 18 : 0);
      const partner = adult(sameSex ? "F" : "M", pAge, "partner", partnerName(), partnerEthnicity());
      link(mother.id, partner.id, "partner");
      const kids = children(mother, ages, { person: partner, isParent });
      if (!isParent && kids.length) b.slots.push({ children: kids.map((k) => k.id), sex: "M", householdId: h.id });
      adultChild(mother, isParent ? partner : undefined);
      break;
    }
    case "three-generation": {
      const pSex: Sex = rng.chance(0.8) ? "F" : "M";
      const pAge = rng.int(19, 45);
      const gAge = Math.min(88, pAge + rng.int(19, 32));
      const gSex: Sex = rng.chance(0.7) ? "F" : "M";
      const grand = adult(gSex, gAge, "grandparent");
      if (rng.chance(0.45)) {
        const g2 = adult(otherSex(gSex), Math.max(40, gAge + rng.int(-4, 5)), "grandparent");
        link(grand.id, g2.id, "partner");
      }
      const parent = adult(pSex, pAge, "parent");
      parentLink({
        parent: grand.id,
        child: parent.id,
        kind: gSex === "F" ? "mother" : "father",
        resident: true,
        overnight: false,
      });
      const kids = children(parent, childAges(rng, pAge));
      if (kids.length) b.slots.push({ children: kids.map((k) => k.id), sex: otherSex(pSex), householdId: h.id });
      break;
    }
    case "sharers": {
      const n = rng.int(2, 3);
      const siblings = rng.chance(0.4);
      const first = adult(rng.chance(0.5) ? "F" : "M", rng.int(18, 45), "other-adult");
      for (let i = 1; i < n; i++) {
        const other = siblings
          ? adult(
              rng.chance(0.5) ? "F" : "M",
              Math.max(18, ageOn(first.birthDate as string, ref) + rng.int(-6, 6)),
              "other-adult",
            )
          : adult(
              rng.chance(0.5) ? "F" : "M",
              rng.int(18, 45),
              "other-adult",
              rng.pick(FAMILY_NAMES),
              pickEthnicity(rng),
            );
        link(first.id, other.id, siblings ? "sibling" : "housemate");
      }
      break;
    }
  }

  const members = b.people.slice(-h.members.length);
  const adults = members.filter((p) => p.kind === "adult");
  // The household cannot have formed before its youngest adult turned 18.
  const youngestAdult = adults.map((a) => addYears(a.birthDate as string, 18)).reduce((x, y) => (y > x ? y : x));
  if (h.formed < youngestAdult) h.formed = youngestAdult > addDays(ref, -60) ? addDays(ref, -60) : youngestAdult;
  for (const p of members) p.memberFrom = maxDate(h.formed, p.birthDate ?? h.formed);

  for (const a of adults) a.needs = needsFor(rng, h.complex, ageOn(a.birthDate as string, ref));

  // Recent movers: the old address is what a source may still hold.
  for (const a of adults) {
    if (!rng.chance(SHARES.movedAddress)) continue;
    const latest = addDays(ref, -30);
    const earliest = maxDate(addDays(ref, -730), h.formed);
    const moved = earliest > latest ? latest : randomDate(rng, earliest, latest);
    const area = rng.chance(0.7) ? h.address.area : rng.pick(AREAS);
    a.previousAddress = { address: b.book.newAddress(rng, area), until: addDays(moved, -1) };
    a.memberFrom = moved;
    if (adults.length === 1) {
      h.formed = moved;
      for (const p of members) p.memberFrom = maxDate(moved, p.birthDate ?? moved);
    }
  }

  // Pregnancy: at most one per household, a woman aged 18–44 who is not a grandparent.
  const women = adults.filter(
    (a) => a.sex === "F" && a.role !== "grandparent" && ageOn(a.birthDate as string, ref) <= 44,
  );
  for (const w of women) {
    const inNeed = w.needs.mentalHealth || w.needs.alcohol || w.needs.drugs;
    if (!rng.chance(inNeed ? SHARES.pregnancyInServices : SHARES.pregnancy)) continue;
    const edd = addDays(ref, rng.int(14, 196));
    // Not while her youngest is still a small baby (conception at least four months after a birth).
    const youngest = localParents
      .filter((l) => l.parent === w.id)
      .map((l) => members.find((m) => m.id === l.child)?.birthDate ?? "")
      .reduce((a, d) => (d > a ? d : a), "");
    if (youngest && youngest > addDays(edd, -400)) continue;
    const partner = localLinks.find((l) => l.kind === "partner" && (l.from === w.id || l.to === w.id));
    const partnerId = partner ? (partner.from === w.id ? partner.to : partner.from) : undefined;
    const father = partnerId ? members.find((m) => m.id === partnerId && m.sex === "M") : undefined;
    const unborn = b.person(rng, h, {
      kind: "unborn",
      sex: "U",
      familyName: father && rng.chance(0.5) ? father.familyName : w.familyName,
      ethnicity: childEthnicity(rng, w.ethnicity, father?.ethnicity),
      role: "unborn",
    });
    unborn.expectedBirthDate = edd;
    unborn.memberFrom = maxDate(h.formed, addDays(edd, -280));
    parentLink({ parent: w.id, child: unborn.id, kind: "mother", resident: true, overnight: false });
    if (father) parentLink({ parent: father.id, child: unborn.id, kind: "father", resident: true, overnight: false });
    b.pregnancies.push({ mother: w.id, unborn: unborn.id, father: father?.id, expectedDeliveryDate: edd });
    break;
  }

  // Domestic abuse: the subject is a parent/carer (3B) or another adult in the household (3C).
  if (rng.chance(SHARES.domesticAbuse[h.complex ? "complex" : "other"])) {
    const others = adults.filter((a) => a.role === "grandparent" || a.role === "other-adult");
    h.domesticAbuse = others.length > 0 && rng.chance(0.4) ? "other" : "parent";
  }

  // Young carers: children aged 8+ living with a parent who has a need.
  const carers = localParents.filter((l) => l.resident && members.some((m) => m.id === l.parent));
  for (const kid of members.filter((m) => m.kind === "child" && ageOn(m.birthDate as string, ref) >= 8)) {
    const parents = carers
      .filter((l) => l.child === kid.id)
      .map((l) => members.find((m) => m.id === l.parent) as Person)
      .filter((p) => p.needs.mentalHealth || p.needs.alcohol || p.needs.drugs || p.needs.illness);
    if (parents.length === 0) continue;
    const single = carers.filter((l) => l.child === kid.id).length === 1;
    if (rng.chance(single ? SHARES.youngCarer.singleParent : SHARES.youngCarer.other)) {
      kid.youngCarerFor = parents.map((p) => p.id);
    }
  }
}

/** Gives some children a non-resident parent who lives in another household of the population. */
function pairAbsentParents(b: Builder, rng: Rng): void {
  const ref = b.ref;
  const used = new Set<string>();
  const byId = new Map(b.people.map((p) => [p.id, p]));
  const withMinors = new Set(b.people.filter((p) => p.kind !== "adult").map((p) => p.householdId));
  const adults = b.people
    .filter((p) => p.kind === "adult" && p.role !== "grandparent")
    .map((p) => ({ p, age: ageOn(p.birthDate as string, ref) }))
    .filter((a) => a.age <= 65);
  for (const slot of b.slots) {
    if (!rng.chance(SHARES.absentParentInPopulation)) continue;
    const kids = slot.children.map((id) => byId.get(id) as Person);
    const oldest = Math.max(...kids.map((k) => ageOn(k.birthDate as string, ref)));
    const candidates = adults.filter(
      ({ p, age }) => p.sex === slot.sex && age >= oldest + 18 && p.householdId !== slot.householdId && !used.has(p.id),
    );
    if (candidates.length === 0) continue;
    // A parent who left usually lives without children now; separation goes with adult needs more often than not.
    const childless = candidates.filter(({ p }) => !withMinors.has(p.householdId));
    const pool = childless.length > 0 && rng.chance(0.8) ? childless : candidates;
    const hasNeed = (p: Person) => p.needs.mentalHealth || p.needs.alcohol || p.needs.drugs;
    const parent = rng.weighted(pool.map(({ p }) => [p, hasNeed(p) ? 3 : 1] as const));
    used.add(parent.id);
    const overnight = rng.chance(SHARES.overnightContact);
    for (const kid of kids) {
      b.parentLinks.push({
        parent: parent.id,
        child: kid.id,
        kind: parent.sex === "F" ? "mother" : "father",
        resident: false,
        overnight,
      });
    }
  }
}

/** The whole true population for N households. */
export function buildPopulation(rng: Rng, households: number, calendar: Calendar): Population {
  const b = new Builder(calendar, new AddressBook(rng.fork("streets"), households));
  for (let i = 0; i < households; i++) buildHousehold(b, rng.fork(`household/${i}`), i);
  pairAbsentParents(b, rng.fork("absent-parents"));
  // Sanity: every date of birth keeps every person in the band their kind says.
  for (const p of b.people) {
    if (p.kind === "unborn") continue;
    const age = ageOn(p.birthDate as string, calendar.referenceDate);
    if ((p.kind === "adult") !== age >= 18 || toDay(p.birthDate as string) > toDay(calendar.referenceDate)) {
      throw new Error(`generator bug: ${p.id} is ${age} but ${p.kind}`);
    }
  }
  return {
    calendar,
    people: b.people,
    households: b.households,
    parentLinks: b.parentLinks,
    otherLinks: b.otherLinks,
    pregnancies: b.pregnancies,
  };
}
