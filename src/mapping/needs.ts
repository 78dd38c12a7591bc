/** Which needed fields (mapping `needs`) a record did not supply: per record, or per item for a path through a list. */
import { forEachScopes, type Scope, valueAtPath, valuesAtPath } from "./paths.js";
import type { NeedSpec } from "./types.js";

/**
 * The paths of the needs `data` does not supply. A plain path is missing when the record has no value
 * there. A path through a list (`Household.Children[].PersonBirthDate`) is missing when some item of the
 * list has no value at the leaf and none at `or` (another leaf of the same item that serves instead, e.g.
 * an unborn child's expected birth date); a record without such items does not miss it.
 */
export function missingNeeds(data: Record<string, unknown>, needs: readonly NeedSpec[]): string[] {
  const root: Scope = { root: data, item: data, path: "" };
  return needs
    .filter((n) => {
      const cut = n.path.lastIndexOf("[].");
      if (cut < 0) return valuesAtPath(root, n.path).length === 0 && !(n.or && valuesAtPath(root, n.or).length > 0);
      const leaves = [n.path.slice(cut + 3), ...(n.or ? [n.or] : [])];
      return forEachScopes(data, n.path.slice(0, cut)).some((item) =>
        leaves.every((leaf) => valueAtPath(item, leaf) === undefined),
      );
    })
    .map((n) => n.path);
}
