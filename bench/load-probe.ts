/**
 * Preloaded into a load bench's server (`node --import ./bench/load-probe.ts …`): records the event loop's delay
 * (perf_hooks.monitorEventLoopDelay at 5 ms resolution) and garbage-collection pauses (a PerformanceObserver of `gc`). On SIGUSR2 it
 * writes what it saw since the last SIGUSR2 as one JSON line to BENCH_PROBE_FILE and starts again, so the bench
 * brackets each scenario with two signals. Nothing of it is in the gateway's own code.
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
    writeFileSync(file, `${JSON.stringify(report)}\n`);
    loop.reset();
    gc = { count: 0, total: 0, max: 0, byKind: {} };
  });
}
