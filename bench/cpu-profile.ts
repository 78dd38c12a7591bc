/** A V8 CPU profile of part of a bench (node:inspector), written to PROFILE_OUT when that is set; else nothing. */
import { writeFileSync } from "node:fs";
import { Session } from "node:inspector/promises";

/** Starts profiling when PROFILE_OUT is set (sampling every `intervalUs` µs); the returned stop writes the profile. */
export async function startProfile(intervalUs = 100): Promise<() => Promise<void>> {
  const out = process.env.PROFILE_OUT;
  if (!out) return async () => {};
  const session = new Session();
  session.connect();
  await session.post("Profiler.enable");
  await session.post("Profiler.setSamplingInterval", { interval: intervalUs });
  await session.post("Profiler.start");
  return async () => {
    writeFileSync(out, JSON.stringify((await session.post("Profiler.stop")).profile));
    session.disconnect();
  };
}
