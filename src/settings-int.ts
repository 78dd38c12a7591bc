/** A positive whole-number setting read from the environment, its problem named by variable (never by value). */

/** `env[name]` as a positive integer, `fallback` when unset; a bad value adds a problem and gives `fallback`. */
export function positiveSetting(
  env: Record<string, string | undefined>,
  name: string,
  fallback: number,
  problems: string[],
): number {
  const v = env[name];
  if (v === undefined || v === "") return fallback;
  if (!/^\d+$/.test(v) || Number(v) < 1) {
    problems.push(`${name}: must be a positive integer`);
    return fallback;
  }
  return Number(v);
}
