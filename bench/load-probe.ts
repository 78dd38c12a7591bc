/**
 * Preloaded into a load bench's server (`node --import ./bench/load-probe.ts …`): records the event loop's delay
 * (perf_hooks.monitorEventLoopDelay at 5 ms resolution) and garbage-collection pauses (a PerformanceObserver of `gc`). On SIGUSR2 it
 * writes what it saw since the last SIGUSR2 as one JSON line to `BENCH_PROBE_FILE.PID` and starts again, so the bench
 * brackets each scenario with two signals (to every server process of TFG_WORKERS > 1, each writing its own file).
 * Nothing of it is in the gateway's own code.
 */
import { writeFileSync } from "node:fs";
import { monitorEventLoopDelay, type PerformanceEntry, PerformanceObserver } from "node:perf_hooks";

/** What one scenario's window saw; delays in ms. */
export interface ProbeReport {
  loopP50: number;
  loopP99: number;
  loopMax: number;
  gcCount: number;
  gcTotalMs: number;
  gcMaxMs: number;
  /** The longest pause by kind (`minor`, `major`, `incremental`, `weakcb`). */
  gcMaxByKind: Record<string, number>;
}

const file = process.env.BENCH_PROBE_FILE;

/** The reports of several processes as one: the worst delay and pause, GC counts and times summed. */
export function mergeReports(reports: ProbeReport[]): ProbeReport | undefined {
  if (reports.length === 0) return undefined;
  const max = (f: (r: ProbeReport) => number) => Math.max(...reports.map(f));
  const sum = (f: (r: ProbeReport) => number) => reports.reduce((s, r) => s + f(r), 0);
  const byKind: Record<string, number> = {};
  for (const r of reports) for (const [k, v] of Object.entries(r.gcMaxByKind)) byKind[k] = Math.max(byKind[k] ?? 0, v);
  return {
    loopP50: max((r) => r.loopP50),
    loopP99: max((r) => r.loopP99),
    loopMax: max((r) => r.loopMax),
    gcCount: sum((r) => r.gcCount),
    gcTotalMs: sum((r) => r.gcTotalMs),
    gcMaxMs: max((r) => r.gcMaxMs),
    gcMaxByKind: byKind,
  };
}
if (file) {
  const loop = monitorEventLoopDelay({ resolution: 5 });
  loop.enable();
  const KINDS: Record<number, string> = { 1: "minor", 2: "major", 4: "incremental", 8: "weakcb" };
  let gc = { count: 0, total: 0, max: 0, byKind: {} as Record<string, number> };
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      const detail = (e as PerformanceEntry & { detail?: { kind?: number } }).detail;
      const kind = KINDS[detail?.kind ?? 0] ?? "other";
      gc.count++;
      gc.total += e.duration;
      gc.max = Math.max(gc.max, e.duration);
      gc.byKind[kind] = Math.max(gc.byKind[kind] ?? 0, e.duration);
    }
  }).observe({ entryTypes: ["gc"] });
  process.on("SIGUSR2", () => {
    const ms = (ns: number) => Math.round(ns / 1e4) / 100;
    const report: ProbeReport = {
      loopP50: ms(loop.percentile(50)),
      loopP99: ms(loop.percentile(99)),
      loopMax: ms(loop.max),
      gcCount: gc.count,
      gcTotalMs: Math.round(gc.total),
      gcMaxMs: Math.round(gc.max * 10) / 10,
      gcMaxByKind: Object.fromEntries(Object.entries(gc.byKind).map(([k, v]) => [k, Math.round(v * 10) / 10])),
    };
    writeFileSync(`${file}.${process.pid}`, `${JSON.stringify(report)}\n`);
    loop.reset();
    gc = { count: 0, total: 0, max: 0, byKind: {} };
  });
}
