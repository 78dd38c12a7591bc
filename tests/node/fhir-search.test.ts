// FHIR search over HTTP on a real SQLite store: R4 string, token, date and reference semantics, paging while data
// changes, _include/_revinclude, _summary, _elements, reporting of unsupported parameters, and content negotiation.
import { beforeAll, describe, expect, it } from "vitest";
import { loadMigrations } from "../../src/runtime/migration-files.js";
import { openSqliteStore } from "../../src/store/sqlite/index.js";
import { createTestApp, type TestApp } from "../support/test-app.js";

const NHS = "https://fhir.nhs.uk/Id/nhs-number";
let t: TestApp;
let seq = 0;
/** A tag unique to one test, put in an identifier so each test sees only its own resources. */
const newTag = () => `tag-${Date.now().toString(36)}-${(seq++).toString(36)}`;

interface Entry {
  fullUrl?: string;
  resource: {
    resourceType: string;
    id: string;
    meta?: { tag?: { code: string }[] };
    issue?: { severity: string; code: string; expression?: string[] }[];
  } & Record<string, unknown>;
  search: { mode: string };
}
interface SearchBundle {
  resourceType: string;
  type: string;
  total: number;
  link: { relation: string; url: string }[];
  entry?: Entry[];
}

beforeAll(async () => {
  t = await createTestApp(await openSqliteStore(":memory:", loadMigrations()));
});

async function create(body: Record<string, unknown>): Promise<{ id: string }> {
  const res = await t.fhir(`/fhir/${body.resourceType}`, { method: "POST", json: body });
  expect(res.status, JSON.stringify(await res.clone().json())).toBe(201);
  return (await res.json()) as { id: string };
}

async function search(query: string, headers: Record<string, string> = {}): Promise<SearchBundle> {
  const res = await t.fhir(query.replace("http://gw.test", ""), { headers });
  expect(res.status, query).toBe(200);
  return (await res.json()) as SearchBundle;
}

const matches = (b: SearchBundle) => (b.entry ?? []).filter((e) => e.search.mode === "match").map((e) => e.resource.id);
const ids = async (query: string) => (await matches(await search(query))).sort();

const patient = (tag: string, extra: Record<string, unknown>) => ({
  resourceType: "Patient",
  identifier: [{ system: "https://tfg.test/tag", value: tag }],
  ...extra,
});

describe("string parameters", () => {
  it("Patient?family=X returns only the patients named X, case- and accent-insensitively, starts-with", async () => {
    const tag = newTag();
    const garcia = await create(patient(tag, { name: [{ family: "García", given: ["Maria"] }] }));
    const garcian = await create(patient(tag, { name: [{ family: "Garcian", given: ["Ana"] }] }));
    const jones = await create(patient(tag, { name: [{ family: "Jones", given: ["Garcia"] }] }));
    const scope = `identifier=${encodeURIComponent(`https://tfg.test/tag|${tag}`)}`;
    expect(await ids(`/fhir/Patient?family=Jones`)).toEqual([jones.id]);
    expect(await ids(`/fhir/Patient?${scope}&family=garcia`)).toEqual([garcia.id, garcian.id].sort());
    expect(await ids(`/fhir/Patient?${scope}&family:exact=Garc%C3%ADa`)).toEqual([garcia.id]);
    expect(await ids(`/fhir/Patient?${scope}&family:exact=garcia`)).toEqual([]);
    expect(await ids(`/fhir/Patient?${scope}&family:contains=ARCI`)).toEqual([garcia.id, garcian.id].sort());
    expect(await ids(`/fhir/Patient?${scope}&given=garc`)).toEqual([jones.id]);
    // name searches every part of the HumanName: family, given, prefix, suffix, text.
    expect(await ids(`/fhir/Patient?${scope}&name=garc`)).toEqual([garcia.id, garcian.id, jones.id].sort());
    expect(await ids(`/fhir/Patient?${scope}&name=ana,maria`)).toEqual([garcia.id, garcian.id].sort());
    expect(await ids(`/fhir/Patient?${scope}&family=garcia&given=ana`)).toEqual([garcian.id]);
  });

  it("searches address parts: address-postalcode starts-with, address any part", async () => {
    const tag = newTag();
    const leeds = await create(
      patient(tag, { address: [{ line: ["1 Park Row"], city: "Leeds", postalCode: "LS1 5AB" }] }),
    );
    const york = await create(patient(tag, { address: [{ city: "York", postalCode: "YO1 7HH" }] }));
    const scope = `identifier=${encodeURIComponent(`https://tfg.test/tag|${tag}`)}`;
    expect(await ids(`/fhir/Patient?${scope}&address-postalcode=ls1`)).toEqual([leeds.id]);
    expect(await ids(`/fhir/Patient?${scope}&address-postalcode=LS1%205AB`)).toEqual([leeds.id]);
    expect(await ids(`/fhir/Patient?${scope}&address=leeds`)).toEqual([leeds.id]);
    expect(await ids(`/fhir/Patient?${scope}&address=1%20park`)).toEqual([leeds.id]);
    // Starts-with on each part, not on each word: the line "1 Park Row" does not start with "park".
    expect(await ids(`/fhir/Patient?${scope}&address=park`)).toEqual([]);
    expect(await ids(`/fhir/Patient?${scope}&address-city=york`)).toEqual([york.id]);
  });
});

describe("token, date and reference parameters", () => {
  it("searches gender, identifier and birthdate with prefixes and implicit ranges", async () => {
    const tag = newTag();
    const may80 = await create(patient(tag, { gender: "female", birthDate: "1980-05-12" }));
    const in80 = await create(patient(tag, { gender: "male", birthDate: "1980" }));
    const dec99 = await create(patient(tag, { gender: "female", birthDate: "1999-12-31" }));
    const noDob = await create(
      patient(tag, {
        identifier: [
          { system: NHS, value: "9990000018" },
          { system: "https://tfg.test/tag", value: tag },
        ],
      }),
    );
    const scope = `identifier=${encodeURIComponent(`https://tfg.test/tag|${tag}`)}`;
    expect(await ids(`/fhir/Patient?${scope}&gender=female`)).toEqual([may80.id, dec99.id].sort());
    expect(await ids(`/fhir/Patient?${scope}&gender:not=female`)).toEqual([in80.id, noDob.id].sort());
    // A code bound to one code system is found with that system too.
    const gender = (v: string) => ids(`/fhir/Patient?${scope}&gender=${encodeURIComponent(v)}`);
    expect(await gender("http://hl7.org/fhir/administrative-gender|male")).toEqual([in80.id]);
    expect(await gender("http://example.org/other|male")).toEqual([]);
    expect(await ids(`/fhir/Patient?${scope}&gender:missing=true`)).toEqual([noDob.id]);
    expect(await ids(`/fhir/Patient?${scope}&identifier=${encodeURIComponent(`${NHS}|9990000018`)}`)).toEqual([
      noDob.id,
    ]);
    expect(await ids(`/fhir/Patient?${scope}&identifier=${encodeURIComponent(`${NHS}|`)}`)).toEqual([noDob.id]);
    // A date of birth is a range: 1980 covers the year, 1980-05-12 the day.
    expect(await ids(`/fhir/Patient?${scope}&birthdate=1980`)).toEqual([may80.id, in80.id].sort());
    expect(await ids(`/fhir/Patient?${scope}&birthdate=1980-05`)).toEqual([may80.id]);
    expect(await ids(`/fhir/Patient?${scope}&birthdate=ap1980-05`)).toContain(in80.id);
    expect(await ids(`/fhir/Patient?${scope}&birthdate=1980-05-12`)).toEqual([may80.id]);
    expect(await ids(`/fhir/Patient?${scope}&birthdate=gt1990`)).toEqual([dec99.id]);
    expect(await ids(`/fhir/Patient?${scope}&birthdate=lt1980-06`)).toEqual([may80.id, in80.id].sort());
    expect(await ids(`/fhir/Patient?${scope}&birthdate=ge1999-12-31&birthdate=le1999-12-31`)).toEqual([dec99.id]);
    expect(await ids(`/fhir/Patient?${scope}&birthdate=eb1990`)).toEqual([may80.id, in80.id].sort());
    expect(await ids(`/fhir/Patient?${scope}&birthdate=sa1990`)).toEqual([dec99.id]);
    expect(await ids(`/fhir/Patient?${scope}&birthdate:missing=true`)).toEqual([noDob.id]);
  });

  it("searches Observation code, status, category and date (periods overlap), and references every way", async () => {
    const tag = newTag();
    const p = await create(patient(tag, {}));
    const obs = (extra: Record<string, unknown>) =>
      create({
        resourceType: "Observation",
        identifier: [{ system: "https://tfg.test/tag", value: tag }],
        subject: { reference: `Patient/${p.id}` },
        ...extra,
      });
    const loinc = "http://loinc.org";
    const cat = {
      coding: [{ system: "http://terminology.hl7.org/CodeSystem/observation-category", code: "social-history" }],
    };
    const a = await obs({
      status: "final",
      code: { coding: [{ system: loinc, code: "72166-2" }] },
      category: [cat],
      effectiveDateTime: "2026-03-10T09:30:00Z",
    });
    const b = await obs({
      status: "amended",
      code: { coding: [{ system: "http://snomed.info/sct", code: "72166-2" }] },
      effectivePeriod: { start: "2026-02-20", end: "2026-03-02" },
    });
    const c = await obs({ status: "final", code: { text: "no code" }, effectivePeriod: { start: "2026-04-01" } });
    const scope = `identifier=${encodeURIComponent(`https://tfg.test/tag|${tag}`)}`;
    const q = (rest: string) => ids(`/fhir/Observation?${scope}&${rest}`);
    expect(await q(`code=${encodeURIComponent(`${loinc}|72166-2`)}`)).toEqual([a.id]);
    expect(await q("code=72166-2")).toEqual([a.id, b.id].sort());
    expect(await q(`code=${encodeURIComponent("|72166-2")}`)).toEqual([]);
    expect(await q(`code=${encodeURIComponent(`${loinc}|`)}`)).toEqual([a.id]);
    expect(await q("status=final")).toEqual([a.id, c.id].sort());
    expect(await q("status=final,amended")).toEqual([a.id, b.id, c.id].sort());
    expect(await q(`status=${encodeURIComponent("http://hl7.org/fhir/observation-status|amended")}`)).toEqual([b.id]);
    expect(await q("category=social-history")).toEqual([a.id]);
    expect(await q("date=2026-03")).toEqual([a.id]);
    // ge: ends after March or lies within it; b (20 Feb – 2 Mar) overlaps March but does neither.
    expect(await q("date=ge2026-03")).toEqual([a.id, c.id].sort());
    expect(await q("date=ap2026-03-01")).toContain(b.id);
    expect(await q("date=lt2026-03")).toEqual([b.id]);
    expect(await q("date=gt2026-12")).toEqual([c.id]);
    expect(await q(`subject=Patient/${p.id}`)).toEqual([a.id, b.id, c.id].sort());
    expect(await q(`subject=${encodeURIComponent(`http://gw.test/fhir/Patient/${p.id}`)}`)).toHaveLength(3);
    expect(await q(`subject:Patient=${p.id}`)).toHaveLength(3);
    expect(await q(`patient=${p.id}`)).toHaveLength(3);
    expect(await q("patient=someone-else")).toEqual([]);
    // patient is subject narrowed to Patients: a Group subject is a subject but not a patient.
    const g = await create({ resourceType: "Group", type: "person", actual: true });
    const d = await obs({ status: "final", code: { text: "group" }, subject: { reference: `Group/${g.id}` } });
    expect(await q(`subject=Group/${g.id}`)).toEqual([d.id]);
    expect(await q(`patient=Group/${g.id}`)).toEqual([]);
    expect(await q(`patient=${g.id}`)).toEqual([]);
    expect(await q("patient:missing=true")).toEqual([d.id]);
    expect(await q("subject:missing=true")).toEqual([]);
  });
});

describe("result shaping", () => {
  it("returns referenced resources for _include and referring ones for _revinclude, as search.mode include", async () => {
    const tag = newTag();
    const p = await create(patient(tag, { name: [{ family: "Included" }] }));
    const o = await create({
      resourceType: "Observation",
      status: "final",
      code: { text: "x" },
      subject: { reference: `Patient/${p.id}` },
    });
    const inc = await search(`/fhir/Observation?_id=${o.id}&_include=Observation:subject`);
    expect(inc.total).toBe(1);
    expect(inc.entry?.map((e) => [e.resource.resourceType, e.resource.id, e.search.mode])).toEqual([
      ["Observation", o.id, "match"],
      ["Patient", p.id, "include"],
    ]);
    expect(inc.link.find((l) => l.relation === "self")?.url).toContain("_include=Observation%3Asubject");
    const rev = await search(`/fhir/Patient?_id=${p.id}&_revinclude=Observation:subject`);
    expect(rev.entry?.map((e) => [e.resource.id, e.search.mode])).toEqual([
      [p.id, "match"],
      [o.id, "include"],
    ]);
    const typed = await search(`/fhir/Observation?_id=${o.id}&_include=Observation:subject:Group`);
    expect(typed.entry?.map((e) => e.search.mode)).toEqual(["match"]);
    // :iterate follows the included resources' references too.
    const dr = await create({ resourceType: "Practitioner", name: [{ family: "Iterated" }] });
    const o2 = await create({
      resourceType: "Observation",
      status: "final",
      code: { text: "y" },
      subject: { reference: `Patient/${p.id}` },
      performer: [{ reference: `Practitioner/${dr.id}` }],
    });
    const iter = await search(
      `/fhir/Patient?_id=${p.id}&_revinclude=Observation:subject&_include:iterate=Observation:performer`,
    );
    expect(iter.entry?.map((e) => `${e.resource.resourceType}/${e.resource.id}`).sort()).toEqual(
      [`Patient/${p.id}`, `Observation/${o.id}`, `Observation/${o2.id}`, `Practitioner/${dr.id}`].sort(),
    );
  });

  it("answers _summary=count with the total only, _count=0 alike, and _elements with a SUBSETTED subset", async () => {
    const tag = newTag();
    await create(patient(tag, { gender: "other", birthDate: "2001-01-01" }));
    await create(patient(tag, { gender: "other" }));
    const scope = `identifier=${encodeURIComponent(`https://tfg.test/tag|${tag}`)}`;
    const count = await search(`/fhir/Patient?${scope}&_summary=count`);
    expect(count.total).toBe(2);
    expect(count).not.toHaveProperty("entry");
    const zero = await search(`/fhir/Patient?${scope}&_count=0`);
    expect(zero.total).toBe(2);
    expect(zero).not.toHaveProperty("entry");
    const el = await search(`/fhir/Patient?${scope}&_elements=gender`);
    for (const e of el.entry ?? []) {
      expect(Object.keys(e.resource).sort()).toEqual(["gender", "id", "meta", "resourceType"]);
      expect(e.resource.meta?.tag?.map((x) => x.code)).toContain("SUBSETTED");
    }
    expect(el.entry).toHaveLength(2);
  });

  it("has no entry key in an empty searchset", async () => {
    const b = await search(`/fhir/Patient?family=${newTag()}`);
    expect(b.total).toBe(0);
    expect(b).not.toHaveProperty("entry");
  });
});

describe("unsupported parameters are reported, never silently dropped", () => {
  it("leaves an unknown parameter out of the self link and says so in an outcome entry", async () => {
    const tag = newTag();
    await create(patient(tag, { name: [{ family: "Smith" }] }));
    const b = await search(`/fhir/Patient?identifier=${encodeURIComponent(`https://tfg.test/tag|${tag}`)}&nme=Smith`);
    const self = new URL(b.link.find((l) => l.relation === "self")?.url as string);
    expect(self.searchParams.has("nme")).toBe(false);
    expect(self.searchParams.get("identifier")).toBe(`https://tfg.test/tag|${tag}`);
    const outcome = b.entry?.find((e) => e.search.mode === "outcome");
    expect(outcome?.resource.resourceType).toBe("OperationOutcome");
    expect(outcome?.resource.issue?.[0]).toMatchObject({
      severity: "warning",
      code: "not-supported",
      expression: ["nme"],
    });
  });

  it("answers 400 under Prefer: handling=strict, for an unknown parameter and an unknown _include", async () => {
    for (const q of ["nme=Smith", "_include=Observation:nothing", "_sort=birthdate", "subject.name=x"]) {
      const res = await t.fhir(`/fhir/Patient?${q}`, { headers: { Prefer: "handling=strict" } });
      expect(res.status, q).toBe(400);
      const body = (await res.json()) as { resourceType: string; issue: { expression?: string[] }[] };
      expect(body.resourceType).toBe("OperationOutcome");
    }
  });

  it("refuses an unsupported modifier or a malformed value with 400 naming the parameter", async () => {
    for (const [q, where] of [
      ["family:below=x", "family:below"],
      ["birthdate=yesterday", "birthdate"],
      ["gender:missing=maybe", "gender:missing"],
      ["_cursor=not-a-cursor!", "_cursor"],
      ["_elements=na-me", "_elements"],
      [`_id=${Array.from({ length: 31 }, (_, i) => `x${i}`).join(",")}`, "_id"],
    ] as const) {
      const res = await t.fhir(`/fhir/Patient?${q}`);
      expect(res.status, q).toBe(400);
      const body = (await res.json()) as { issue: { expression?: string[] }[] };
      expect(body.issue[0]?.expression, q).toEqual([where]);
    }
  });
});

describe("paging", () => {
  it("returns each surviving resource exactly once when resources are created and deleted between pages", async () => {
    const tag = newTag();
    const original: string[] = [];
    for (let i = 0; i < 9; i++)
      original.push(
        (
          await create({
            resourceType: "Encounter",
            status: "finished",
            class: { code: "AMB" },
            identifier: [{ value: tag }],
          })
        ).id,
      );
    for (const sort of ["", "&_sort=_lastUpdated", "&_sort=-_lastUpdated", "&_sort=-_id"]) {
      let url: string | undefined = `/fhir/Encounter?identifier=${tag}&_count=2${sort}`;
      const seen: string[] = [];
      const deleted = new Set<string>();
      let pages = 0;
      while (url && pages < 20) {
        const b = await search(url);
        const page = matches(b);
        seen.push(...page);
        if (pages === 0) {
          const unseen = original.find((id) => !seen.includes(id) && !deleted.has(id)) as string;
          for (const id of [page[0] as string, unseen]) {
            expect((await t.fhir(`/fhir/Encounter/${id}`, { method: "DELETE" })).status).toBe(204);
            deleted.add(id);
          }
          original.push(
            (
              await create({
                resourceType: "Encounter",
                status: "planned",
                class: { code: "AMB" },
                identifier: [{ value: tag }],
              })
            ).id,
          );
        }
        url = b.link.find((l) => l.relation === "next")?.url;
        if (url) expect(new URL(url).searchParams.get("_cursor")).toBeTruthy();
        pages++;
      }
      expect(new Set(seen).size, sort).toBe(seen.length);
      const surviving = original.filter((id) => !deleted.has(id));
      // Every resource there from the first page to the last comes exactly once (the one created mid-way may or may not).
      for (const id of surviving.slice(0, -1)) expect(seen, sort).toContain(id);
      for (const id of deleted) original.splice(original.indexOf(id), 1);
      expect((await search(`/fhir/Encounter?identifier=${tag}&_summary=count`)).total).toBe(original.length);
    }
  });
});

describe("content negotiation", () => {
  it("answers 406 with a JSON OperationOutcome to a request for XML", async () => {
    for (const [path, accept] of [
      ["/fhir/Patient", "application/fhir+xml"],
      ["/fhir/Patient", "application/xml"],
      ["/fhir/Patient?_format=xml", undefined],
      ["/fhir/metadata", "application/fhir+xml"],
    ] as const) {
      const res = await t.fhir(path, { headers: accept ? { Accept: accept } : {} });
      expect(res.status, `${path} ${accept}`).toBe(406);
      expect(res.headers.get("Content-Type")).toContain("application/fhir+json");
      expect(((await res.json()) as { resourceType: string }).resourceType).toBe("OperationOutcome");
    }
    const browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
    expect((await t.fhir("/fhir/Patient?_count=1", { headers: { Accept: browser } })).status).toBe(200);
    expect((await t.fhir("/fhir/Patient?_format=json&_count=1")).status).toBe(200);
  });
});
