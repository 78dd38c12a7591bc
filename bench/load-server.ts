/** The load benches' server processes: start one with tsx, wait for its "gateway listening" line, stop it, read its RSS and CPU. */
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";

/** A server child process and where it listens. */
export interface Server {
  child: ChildProcess;
  url: string;
}

/** Options for {@link startServer}. */
export interface StartOptions {
  /** Working directory of the server (another checkout's root, for a before/after pair in one run). */
  cwd?: string;
  /** Extra `node` flags before `--import tsx` (e.g. `--cpu-prof`). */
  nodeFlags?: string[];
  /** Modules imported after tsx and before the script (e.g. bench/load-probe.ts as a file URL). */
  preload?: string[];
}

/** Starts `script` with tsx in its own Node process; resolves when it logs its "gateway listening" line. */
export function startServer(
  script: string,
  args: string[],
  env: Record<string, string>,
  options: StartOptions = {},
): Promise<Server> {
  const preload = (options.preload ?? []).flatMap((m) => ["--import", m]);
  const child = spawn(
    process.execPath,
    [...(options.nodeFlags ?? []), "--import", "tsx", ...preload, script, ...args],
    {
      env: { ...process.env, ...env, TFG_PORT: "0" },
      stdio: ["ignore", "pipe", "inherit"],
      ...(options.cwd ? { cwd: options.cwd } : {}),
    },
  );
  return new Promise((resolve, reject) => {
    let buffered = "";
    const onData = (chunk: Buffer) => {
      buffered += chunk.toString("utf8");
      const m =
        /"url":"(http:\/\/[^"]+)"[^\n]*"gateway listening"|"gateway listening"[^\n]*"url":"(http:\/\/[^"]+)"/.exec(
          buffered,
        );
      if (m) {
        // Keep draining the request log so the server never blocks on a full pipe.
        child.stdout?.off("data", onData);
        child.stdout?.resume();
        resolve({ child, url: (m[1] ?? m[2]) as string });
      } else if (buffered.length > 1e6) buffered = buffered.slice(-4096);
    };
    child.stdout?.on("data", onData);
    child.once("exit", (code) => reject(new Error(`${script} exited with ${code} before listening`)));
  });
}

/** Stops a server with SIGTERM (it finishes in-flight requests and exits, writing a CPU profile if asked). */
export function stop(server: Server): Promise<void> {
  return new Promise((resolve) => {
    if (server.child.exitCode !== null) return resolve();
    server.child.once("exit", () => resolve());
    server.child.kill("SIGTERM");
  });
}

/** The process's resident set size in MB (Linux), or NaN elsewhere. */
export function rssMb(pid: number | undefined): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1]) / 1024;
  } catch {
    return Number.NaN;
  }
}

/** CPU time (user + system) the process has used so far, in µs (Linux `/proc/PID/stat`, clock ticks of 10 ms), or NaN. */
export function cpuMicros(pid: number | undefined): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name (which may hold spaces, so split after its closing parenthesis).
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) * 10_000;
  } catch {
    return Number.NaN;
  }
}
