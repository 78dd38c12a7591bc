// The console in a real browser: playwright-core drives the system Chromium (Debian's `chromium`) against the app
// served by @hono/node-server on an ephemeral port, with a synthetic population ingested. Each page's main path runs,
// axe-core checks it (no serious or critical violation), and screenshots go to docs/console/. Skips, saying why, only
// when no Chromium can be found (set TFG_CHROMIUM to point at one).
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import AxeBuilder from "@axe-core/playwright";
import { serve } from "@hono/node-server";
import { type BrowserContext, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { breakGlassReviewTasks } from "../../src/audit/break-glass-review-task.js";
import { prepareWrite } from "../../src/fhir/resource-service.js";
import { type ConsoleTestApp, consoleApp, type DevUser } from "./console-support.js";
import { type FamilyCase, familyCases } from "./lookup-support.js";

type Json = Record<string, unknown>;
const NHS = "https://fhir.nhs.uk/Id/nhs-number";

const CANDIDATES = [process.env.TFG_CHROMIUM, "/usr/bin/chromium", "/usr/bin/chromium-browser"];
const executablePath = CANDIDATES.find((p): p is string => typeof p === "string" && p !== "" && existsSync(p));
if (!executablePath)
  console.warn(
    "console-browser: SKIPPED, no Chromium found (install Debian's chromium package, or set TFG_CHROMIUM); .ci/run installs it",
  );

const SHOTS = resolve("docs/console");
const FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

let t: ConsoleTestApp;
let k: FamilyCase;
let base: string;
let close: () => Promise<void>;
let context: BrowserContext;
let profile: string;

/** Axe on the page as it is: no serious or critical violation (WCAG 2.0–2.2 A and AA rules, best practices). */
async function accessible(page: Page, what: string): Promise<void> {
  const result = await new AxeBuilder({ page })
    .withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"])
    .analyze();
  const bad = result.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
  expect(bad, `axe on ${what}`).toEqual([]);
}

/** Signs in through the development form (the page's own fields). */
async function signIn(page: Page, user: DevUser, shot?: string): Promise<void> {
  await page.goto(`${base}/console`);
  await expect.poll(() => page.url()).toContain("/console/sign-in");
  await page.getByLabel("User id").fill(user.subject);
  await page.getByLabel("Organisation code").fill(user.org);
  await page.getByLabel("Organisation type").selectOption(user.orgType);
  await page.getByLabel("Role").selectOption(user.role);
  await page.getByLabel("Purpose of use").selectOption(user.purpose);
  if (shot) {
    await accessible(page, "the sign-in page");
    await page.screenshot({ path: join(SHOTS, shot), fullPage: true });
  }
  await page.getByRole("button", { name: "Sign in for development" }).click();
  await page.waitForURL(`${base}/console`);
}

/** A fresh page in a fresh cookie jar. */
async function freshPage(): Promise<Page> {
  await context.clearCookies();
  return context.newPage();
}

const nhsOf = (c: FamilyCase) =>
  ((c.child.identifier as Json[]) ?? []).find((i) => i.system === NHS)?.value as string | undefined;

describe.skipIf(!executablePath)("console in Chromium", () => {
  beforeAll(async () => {
    t = await consoleApp({ households: 60 });
    const cases = (await familyCases(t.store)).filter((c) => nhsOf(c) !== undefined);
    expect(cases.length).toBeGreaterThan(0);
    k = cases[0] as FamilyCase;
    await new Promise<void>((done) => {
      const server = serve({ fetch: t.app.fetch, hostname: "127.0.0.1", port: 0 }, (info: AddressInfo) => {
        base = `http://127.0.0.1:${info.port}`;
        done();
      });
      close = () => new Promise((r) => server.close(() => r()));
    });
    mkdirSync(SHOTS, { recursive: true });
    profile = mkdtempSync(join(tmpdir(), "tfg-chromium-"));
    context = await chromium.launchPersistentContext(profile, {
      executablePath,
      headless: true,
      args: FLAGS,
      viewport: { width: 1200, height: 900 },
    });
    // Nothing leaves this machine: the NHS.UK web fonts (assets.nhs.uk) and anything else off-origin are refused.
    await context.route("**/*", (route) => (route.request().url().startsWith(base) ? route.continue() : route.abort()));
  }, 180_000);

  afterAll(async () => {
    await context?.close();
    await close?.();
    if (profile) rmSync(profile, { recursive: true, force: true });
    await t?.store.close();
  });

  it("development sign-in, then the household check of a child open to the worker's LA", async () => {
    const page = await freshPage();
    await signIn(
      page,
      {
        subject: "sw-1",
        org: k.la,
        orgType: "la-childrens-services",
        role: "practitioner",
        purpose: "safeguarding-s47",
      },
      "development-sign-in.png",
    );
    await expect.poll(() => page.locator("#purpose-of-use").innerText()).toContain("safeguarding-s47");
    await accessible(page, "the home page");
    await page.getByRole("link", { name: "Household check" }).first().click();
    await page.getByLabel("NHS number").fill(nhsOf(k) as string);
    await page.getByRole("button", { name: "Check household" }).click();
    await page.waitForSelector("#results-heading");
    const heading = await page.locator("#results-heading").innerText();
    expect(heading).toMatch(/^\d+ household adults? you may see$/);
    expect(await page.locator(".nhsuk-card").count()).toBeGreaterThan(0);
    expect(await page.locator("#purpose-of-use").innerText()).toContain("safeguarding-s47");
    await accessible(page, "the household check result");
    await page.screenshot({ path: join(SHOTS, "household-check.png"), fullPage: true });
    await page.close();
  });

  it("a worker from another LA sees nothing in the household check", async () => {
    const page = await freshPage();
    await signIn(page, {
      subject: "sw-2",
      org: "992",
      orgType: "la-childrens-services",
      role: "practitioner",
      purpose: "safeguarding-s47",
    });
    await page.goto(`${base}/console/household-check`);
    await page.getByLabel("NHS number").fill(nhsOf(k) as string);
    await page.getByRole("button", { name: "Check household" }).click();
    await page.waitForSelector("#results-heading");
    expect(await page.locator("#results-heading").innerText()).toBe("No household adults you may see");
    expect(await page.locator(".nhsuk-card").count()).toBe(0);
    const family = ((k.adult.name as Json[] | undefined)?.[0]?.family as string | undefined) ?? "";
    if (family) expect(await page.content()).not.toContain(family);
    await page.close();
  });

  it("a bad NHS number shows the error summary, linked to the field", async () => {
    const page = await freshPage();
    await signIn(page, {
      subject: "sw-3",
      org: k.la,
      orgType: "la-childrens-services",
      role: "practitioner",
      purpose: "child-in-need-s17",
    });
    await page.goto(`${base}/console/household-check`);
    await page.getByLabel("NHS number").fill("1234567890");
    await page.getByRole("button", { name: "Check household" }).click();
    await page.waitForSelector(".nhsuk-error-summary");
    expect(await page.title()).toMatch(/^Error: /);
    await accessible(page, "the household check with an error");
    await page.locator(".nhsuk-error-summary a").first().click();
    expect(await page.evaluate("document.activeElement && document.activeElement.id")).toBe("nhsNumber");
    await page.close();
  });

  it("the worklist of a manager, with the CSV link", async () => {
    const page = await freshPage();
    await signIn(page, { subject: "mgr-1", org: "RX4", orgType: "mh-trust", role: "manager", purpose: "direct-care" });
    await page.getByRole("link", { name: "Worklist" }).first().click();
    await page.waitForSelector("h1");
    expect(await page.locator("h1").innerText()).toBe("Worklist");
    expect(await page.locator("tbody tr").count()).toBeGreaterThan(0);
    await accessible(page, "the worklist");
    await page.screenshot({ path: join(SHOTS, "worklist.png"), fullPage: false });
    const csv = await page.request.get(`${base}/console/reports/worklist?_format=csv`);
    expect(csv.status()).toBe(200);
    expect((await csv.text()).split("\n")[0]).toContain("patient,local_id,episode");
    await page.close();
  });

  it("every other page passes axe: family, completeness, reviews, who looked, ingest, returns, purpose", async () => {
    const page = await freshPage();
    await signIn(page, {
      subject: "sl-1",
      org: k.trust,
      orgType: "mh-trust",
      role: "safeguarding-lead",
      purpose: "safeguarding-s47",
    });
    await page.goto(`${base}/console/family?patient=Patient/${k.adult.id}`);
    await page.getByRole("button", { name: "Show family" }).click();
    await page.waitForSelector("#results-heading");
    await accessible(page, "the family view");
    await page.screenshot({ path: join(SHOTS, "family-view.png"), fullPage: true });
    await page.goto(`${base}/console/completeness`);
    await accessible(page, "completeness");
    await page.screenshot({ path: join(SHOTS, "completeness.png"), fullPage: false });
    // A break-glass read by one of the lead's organisation's users awaits review: the form passes axe, then is used.
    const [review] = breakGlassReviewTasks(
      { id: "3f1c2a9e-0000-4000-8000-00000000b0b0", recorded: new Date().toISOString() },
      {
        interaction: "read",
        resourceType: "Patient",
        resource: `Patient/${k.adult.id}`,
        patient: `Patient/${k.adult.id}`,
      },
      { effect: "permit", level: "summary", rule: "break-glass", obligations: ["review-by-safeguarding-lead"] },
      { org: k.trust, issuer: "urn:think-family-gateway:dev-issuer", subject: "cc-bg" },
    );
    if (!review) throw new Error("no review Task");
    const write = prepareWrite("Task", review.id, 1, new Date().toISOString(), review);
    await t.store.commit({ resources: [write] });
    await page.goto(`${base}/console/reviews`);
    await accessible(page, "the review queues");
    await page.getByLabel("Note (optional)").fill("Checked with the worker.");
    await page.getByRole("button", { name: "Break-glass read 1 was appropriate" }).click();
    await expect.poll(() => page.locator("[role=status]").innerText()).toContain("was appropriate");
    expect(await page.getByRole("button", { name: "Break-glass read 1 was appropriate" }).count()).toBe(0);
    await page.goto(`${base}/console/audit`);
    await page.getByLabel("Patient record id").fill(`Patient/${k.adult.id}`);
    await page.getByRole("button", { name: "Show who looked" }).click();
    await page.waitForSelector("#results-heading");
    expect(await page.locator("#results-heading").innerText()).toMatch(/recorded read/);
    await accessible(page, "who looked at this record");
    await page.screenshot({ path: join(SHOTS, "who-looked.png"), fullPage: false });
    await page.goto(`${base}/console/returns`);
    await accessible(page, "returns");
    await page.goto(`${base}/console/purpose`);
    await accessible(page, "the purpose of use");
    await page.goto(`${base}/console/no-such-page`);
    await accessible(page, "the not-found page");
    await page.close();
  });

  it("ingest: a data manager uploads a file and reads the rejected records", async () => {
    const page = await freshPage();
    await signIn(page, {
      subject: "dm-1",
      org: "N0852",
      orgType: "drug-alcohol-service",
      role: "manager",
      purpose: "direct-care",
    });
    await page.goto(`${base}/console/ingest`);
    await accessible(page, "the ingest form");
    const lines = readFileSync("tests/golden/ndtms/input.csv", "utf8").split("\n");
    lines[2] = (lines[2] as string).replace("1979-11-30", "1979-13-45");
    await page.getByLabel("Source").selectOption("ndtms");
    await page.getByLabel("File (or the CSV tables)").setInputFiles({
      name: "ndtms.csv",
      mimeType: "text/csv",
      buffer: Buffer.from(lines.join("\n")),
    });
    await page.getByRole("button", { name: "Upload and ingest" }).click();
    await page.waitForSelector("#report-heading");
    expect(await page.locator("caption", { hasText: "Rejected records" }).count()).toBe(1);
    await accessible(page, "the ingest report");
    await page.screenshot({ path: join(SHOTS, "ingest-report.png"), fullPage: true });
    await page.close();
  });

  it("signs out", async () => {
    const page = await freshPage();
    await signIn(page, {
      subject: "sw-4",
      org: k.la,
      orgType: "la-childrens-services",
      role: "practitioner",
      purpose: "direct-care",
    });
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.waitForURL(`${base}/console/sign-in`);
    await page.goto(`${base}/console/household-check`);
    expect(page.url()).toBe(`${base}/console/sign-in`);
    await page.close();
  });
});
