/**
 * Redaction by disclosure level (DOMAIN.md §4; issue 10 scope 5): what of a resource may be shown at a
 * level, element by element from redact-table.ts. Conservative throughout: an element, extension or
 * resource type the table does not list is shown only at `sensitive`; a resource carrying a
 * `modifierExtension` is withheld below `sensitive` (dropping a modifier would change its meaning).
 */
import { covers, type Level, lowerOf } from "./levels.js";
import { type ElementRule, NESTED_EXTENSIONS, REDACTION, type TypeTable } from "./redact-table.js";

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

class Withhold extends Error {}

/** The element name a key belongs to (`_birthDate` → `birthDate`). */
const baseName = (key: string) => (key.startsWith("_") ? key.slice(1) : key);

/** The table entry for element `name`, choice names (`valueQuantity` → `value[x]`) included. */
function lookup(elements: Readonly<Record<string, ElementRule>>, name: string): ElementRule | undefined {
  if (Object.hasOwn(elements, name)) return elements[name];
  for (const [key, rule] of Object.entries(elements)) {
    if (!key.endsWith("[x]")) continue;
    const prefix = key.slice(0, -3);
    const rest = name.slice(prefix.length);
    if (name.startsWith(prefix) && /^[A-Z]/.test(rest)) return rule;
  }
  return undefined;
}

/** The profile overrides that apply to `resource` (the lowest level per element where several do). */
function overridesOf(table: TypeTable, resource: Json): Record<string, Level> {
  const claimed = isObject(resource.meta) && Array.isArray(resource.meta.profile) ? resource.meta.profile : [];
  const out: Record<string, Level> = {};
  for (const url of claimed) {
    const o =
      typeof url === "string" && table.profiles && Object.hasOwn(table.profiles, url) ? table.profiles[url] : undefined;
    for (const [k, level] of Object.entries(o ?? {})) out[k] = k in out ? lowerOf(out[k] as Level, level) : level;
  }
  return out;
}

/** The level element `name` of `resourceType` needs (`sensitive` when not listed), profile overrides applied. */
export function levelOfElement(resourceType: string, name: string, resource?: Json): Level {
  const table = REDACTION[resourceType];
  if (!table) return "sensitive";
  const base = baseName(name);
  const override = resource ? lookup(overridesOf(table, resource), base) : undefined;
  const rule = override ?? lookup(table.elements, base);
  if (rule === undefined) return "sensitive";
  return typeof rule === "string" ? rule : rule.level;
}

/** The level an `extension` item of `resourceType` needs, by its url. */
export function levelOfExtension(resourceType: string, url: unknown): Level {
  const table = REDACTION[resourceType]?.extensions;
  return typeof url === "string" && table && Object.hasOwn(table, url) ? (table[url] as Level) : "sensitive";
}

/** True when a `modifierExtension` appears anywhere in `value`. */
function hasModifier(value: unknown): boolean {
  if (Array.isArray(value)) return value.some(hasModifier);
  if (!isObject(value)) return false;
  return Object.entries(value).some(([k, v]) => k === "modifierExtension" || hasModifier(v));
}

/** A copy of a shown value, with nested extensions the level does not cover removed. */
function copyShown(value: unknown, level: Level): unknown {
  if (Array.isArray(value)) return value.map((v) => copyShown(v, level));
  if (!isObject(value)) return value;
  const out: Json = {};
  for (const [k, v] of Object.entries(value)) {
    if (k === "modifierExtension") throw new Withhold();
    if (k === "extension" && Array.isArray(v)) {
      const kept = v.filter((e) => {
        const url = isObject(e) ? e.url : undefined;
        const need =
          typeof url === "string" && Object.hasOwn(NESTED_EXTENSIONS, url) ? NESTED_EXTENSIONS[url] : "sensitive";
        return covers(level, need as Level);
      });
      if (kept.length > 0) out[k] = kept.map((e) => copyShown(e, level));
      continue;
    }
    out[k] = copyShown(v, level);
  }
  return out;
}

/** An element with parts: each part kept when the level covers it. */
function copyParts(value: unknown, parts: Readonly<Record<string, Level>>, level: Level): unknown {
  if (Array.isArray(value)) return value.map((v) => copyParts(v, parts, level)).filter((v) => v !== undefined);
  if (!isObject(value)) return undefined;
  const out: Json = {};
  for (const [k, v] of Object.entries(value)) {
    const need = lookup(parts, baseName(k));
    if (typeof need === "string" && covers(level, need)) out[k] = copyShown(v, level);
    else if (k === "modifierExtension") throw new Withhold();
  }
  return out;
}

/**
 * What of `resource` may be shown at `level`: undefined at `none`, for a type with no table below
 * `sensitive`, or when it carries a modifier extension below `sensitive`; the resource itself at
 * `sensitive`; otherwise a copy with only the elements the level covers. Never adds anything.
 */
export function redact<T extends Json>(resource: T, level: Level): Partial<T> | undefined {
  if (level === "none") return undefined;
  if (level === "sensitive") return resource;
  const type = typeof resource.resourceType === "string" ? resource.resourceType : "";
  const table = Object.hasOwn(REDACTION, type) ? REDACTION[type] : undefined;
  if (!table) return undefined;
  if (hasModifier(resource)) return undefined;
  const overrides = overridesOf(table, resource);
  const out: Json = {};
  try {
    for (const [key, value] of Object.entries(resource)) {
      if (key === "modifierExtension") throw new Withhold();
      if (key === "extension") {
        const kept = Array.isArray(value)
          ? value.filter((e) => covers(level, levelOfExtension(type, isObject(e) ? e.url : undefined)))
          : [];
        if (kept.length > 0) out.extension = kept.map(copyShownExtension);
        continue;
      }
      const base = baseName(key);
      const rule = lookup(overrides, base) ?? lookup(table.elements, base);
      if (rule === undefined) continue;
      if (typeof rule === "string") {
        if (covers(level, rule)) out[key] = copyShown(value, level);
      } else if (covers(level, rule.level)) {
        const parts = copyParts(value, rule.parts, level);
        if (parts !== undefined) out[key] = parts;
      }
    }
  } catch (e) {
    if (e instanceof Withhold) return undefined;
    throw e;
  }
  return out as Partial<T>;
}

/** A top-level extension kept by its url, shown whole (its own sub-extensions are its parts); a modifier anywhere in it withholds. */
function copyShownExtension(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(copyShownExtension);
  if (!isObject(value)) return value;
  const out: Json = {};
  for (const [k, v] of Object.entries(value)) {
    if (k === "modifierExtension") throw new Withhold();
    out[k] = copyShownExtension(v);
  }
  return out;
}
