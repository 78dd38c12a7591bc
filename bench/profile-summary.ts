/**
 * `npx tsx bench/profile-summary.ts FILE.cpuprofile [TOP]`: self time per function (name, file:line) of a V8 CPU
 * profile, largest first, as a share of all samples; with `--by-file`, per source file instead; with `--per=N`, also
 * in µs per one of N requests (the whole profile's time, start-up included, spread over N).
 */
import { readFileSync } from "node:fs";

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}
const args = process.argv.slice(2);
const byFile = args.includes("--by-file");
const per = Number(args.find((a) => a.startsWith("--per="))?.slice(6) ?? 0);
const [file, topArg] = args.filter((a) => !a.startsWith("--"));
const profile = JSON.parse(readFileSync(file as string, "utf8")) as {
  nodes: Node[];
  samples: number[];
  startTime: number;
  endTime: number;
};
const hits = new Map<number, number>();
for (const s of profile.samples) hits.set(s, (hits.get(s) ?? 0) + 1);
const total = profile.samples.length;
const sums = new Map<string, number>();
for (const node of profile.nodes) {
  const f = node.callFrame;
  const where = f.url.replace(/^.*\/(node_modules\/|src\/|bench\/)/, "$1");
  const key = byFile ? where || "(native)" : `${f.functionName || "(anonymous)"} ${where}:${f.lineNumber + 1}`;
  sums.set(key, (sums.get(key) ?? 0) + (hits.get(node.id) ?? 0));
}
const rows = [...sums].sort((a, b) => b[1] - a[1]).slice(0, Number(topArg ?? 40));
const usPer = (v: number) =>
  per > 0 ? `${(((profile.endTime - profile.startTime) * v) / total / per).toFixed(1).padStart(7)} µs  ` : "";
for (const [k, v] of rows) console.log(`${((100 * v) / total).toFixed(1).padStart(5)}%  ${usPer(v)}${k}`);
