import { it } from "vitest";
import { familyCases, ingestedApp } from "./lookup-support.js";
it("explore", async () => {
  const t = await ingestedApp();
  const cases = await familyCases(t.store);
  console.log(cases.length, cases.slice(0, 5).map((c) => ({ g: c.group, child: c.child.id, la: c.la, adult: c.adult.id, ep: c.episode.id, trust: c.trust, cm: c.episode.careManager, ids: c.child.identifier })));
}, 120_000);
