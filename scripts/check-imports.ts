/** CLI for the import-boundary rule: exits 1 and lists offenders when the core imports host code. */
import { findBoundaryViolations } from "./import-boundaries.js";

const violations = findBoundaryViolations(process.cwd());
if (violations.length > 0) {
  console.error(`Host-specific imports outside src/runtime and the storage drivers:\n  ${violations.join("\n  ")}`);
  process.exit(1);
}
console.log("import boundaries: ok (core imports no node:*, database client or Workers module)");
