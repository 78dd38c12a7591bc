/** The baseline sharing protocol (policies/sharing-protocol.yaml), built in and loaded once. */
import { BASELINE_POLICY_FILE, BASELINE_POLICY_TEXT } from "./baseline.generated.js";
import { loadPolicy } from "./load.js";
import type { Policy } from "./policy.js";

let cached: Policy | undefined;

/** The baseline protocol, parsed and checked on first use (a bad built-in file throws, naming its line). */
export function baselinePolicy(): Policy {
  cached ??= loadPolicy(BASELINE_POLICY_TEXT, BASELINE_POLICY_FILE);
  return cached;
}
