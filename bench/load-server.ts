/** The load benches' server processes: start one with tsx, wait for its "gateway listening" line, stop it, read its (and its workers') RSS and CPU. */
import { type ChildProcess, spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";

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

/** `pid` and its descendants (the server processes of TFG_WORKERS > 1), from Linux /proc; just `pid` elsewhere. */
export function processTree(pid: number | undefined): number[] {
  if (pid === undefined) return [];
  const out = [pid];
  for (let i = 0; i < out.length; i++) {
    try {
      for (const task of readdirSync(`/proc/${out[i]}/task`)) {
        const children = readFileSync(`/proc/${out[i]}/task/${task}/children`, "utf8").trim();
        if (children) out.push(...children.split(/\s+/).map(Number));
      }
    } catch {
      // not Linux, or the process has gone
    }
  }
  return out;
}

/** The resident set size of `pid` and its descendants in MB (Linux), or NaN elsewhere. */
export function rssMb(pid: number | undefined): number {
  let kb = 0;
  for (const p of processTree(pid)) {
    try {
      kb += Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${p}/status`, "utf8"))?.[1] ?? 0);
    } catch {
      // gone
    }
  }
  return kb > 0 ? kb / 1024 : Number.NaN;
}

/**
 * CPU time (user + system) `pid` and its descendants have used so far, in µs (Linux `/proc/PID/stat`, clock ticks
 * of 10 ms), or NaN.
 */
export function cpuMicros(pid: number | undefined): number {
  let ticks = 0;
  for (const p of processTree(pid)) {
    try {
      const stat = readFileSync(`/proc/${p}/stat`, "utf8");
      // Fields after the command name (which may hold spaces, so split after its closing parenthesis).
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // gone
    }
  }
  return ticks > 0 ? ticks * 10_000 : Number.NaN;
}
