/** Runs a mapping over one source record: check fields, evaluate resource rules, add Provenance, report coverage. */

import { profileUrl } from "../fhir/canonical.js";
import type { FhirIssue } from "../fhir/errors.js";
import { cloneRecord } from "./clone.js";
import {
  type CompiledCondition,
  type CompiledKey,
  type CompiledTemplate,
  compileCondition,
  compileKey,
  compileTemplate,
} from "./compile.js";
import { ConceptMaps } from "./concept-maps.js";
import { checkFields, checkRecord, type Locator } from "./field-check.js";
import { deterministicId } from "./ids.js";
import { missingNeeds } from "./needs.js";
import { forEachScopes, leafPaths, type PathReader, pathReader, plainPath, type Scope } from "./paths.js";
import type { Derivation, EvalContext } from "./template.js";
import type { ConceptMapJson, MappingSpec, ResourceRule } from "./types.js";

/** One record from a parser: its place in the file and its data, shaped like the source tables. */
export interface SourceRecord {
  /** 1-based position in the file (row number for CSV, item number for JSON/XML). */
  index: number;
  /** Where the record is, for people: `row 12`, `Patients[3]`, `Child[4]`. */
  label: string;
  data: Record<string, unknown>;
  /** Turns a path inside the record into a location (`row 12, column DOB`, `Child[4]/CINdetails[1]/…`). */
  locate: Locator;
}

/** A produced resource and the rule that produced it. */
export interface MappedResource {
  rule: string;
  resource: Record<string, unknown> & { resourceType: string; id: string };
  /** For a rule marked `shared`: the top-level elements its template writes (the rest of a stored copy is kept). */
  shared?: { owns: readonly string[] };
}

/** The result of mapping one record. */
export interface MappedRecord {
  index: number;
  label: string;
  /** Source key (local identifiers) for results, e.g. `N0852/C1234/E1`. */
  key: string;
  issues: FhirIssue[];
  /** Empty when the record is rejected (an error issue). */
  resources: MappedResource[];
  /** Source fields present in the record but read by no rule. */
  unmapped: string[];
  /** Needed fields the record did not supply. */
  missing: string[];
}

/** A resource rule compiled once: its scopes, condition, key and template as closures. */
interface CompiledRule {
  rule: ResourceRule;
  forEachPlain?: string;
  when?: CompiledCondition;
  key: CompiledKey;
  template: CompiledTemplate;
  profile?: string;
  idSpace: string;
  shared?: { owns: readonly string[] };
}

/** A mapping spec compiled once (on first use): paths split, templates turned into closures. */
interface CompiledSpec {
  recordKey: { reader: PathReader; plain: string }[];
  rules: CompiledRule[];
  metaSource: string;
}

function compileSpec(spec: MappingSpec): CompiledSpec {
  return {
    recordKey: spec.recordKey.map((p) => ({ reader: pathReader(p), plain: plainPath(p) })),
    rules: spec.resources.map((rule) => ({
      rule,
      ...(rule.forEach ? { forEachPlain: plainPath(rule.forEach) } : {}),
      ...(rule.when ? { when: compileCondition(rule.when) } : {}),
      key: compileKey(rule.key),
      template: compileTemplate(rule.template),
      ...(rule.profile ? { profile: profileUrl(rule.profile) } : {}),
      idSpace: rule.idSpace ?? spec.source,
      ...(rule.shared ? { shared: { owns: templateElements(rule.template) } } : {}),
    })),
    metaSource: `urn:tfg:source:${spec.source}`,
  };
}

/** The top-level element names a template can write (the keys of its object, through `$if` branches). */
function templateElements(t: unknown): string[] {
  if (t === null || typeof t !== "object" || Array.isArray(t)) return [];
  const o = t as Record<string, unknown>;
  if ("$if" in o) return [...new Set([...templateElements(o.then), ...templateElements(o.else)])];
  return Object.keys(o).filter((k) => !k.startsWith("$"));
}

/** A record key part: text for a string, number or boolean, `?` for anything else (absent, or an object or list). */
const keyPart = (v: unknown): string =>
  typeof v === "string" || typeof v === "number" || typeof v === "boolean" ? String(v) : "?";

/** A loaded mapping: the spec, its ConceptMaps and the derivations it may call. */
export class Mapping {
  readonly conceptMaps: ConceptMaps;
  private compiledSpec?: CompiledSpec;

  constructor(
    readonly spec: MappingSpec,
    conceptMaps: ConceptMapJson[],
    readonly derivations: Record<string, Derivation>,
  ) {
    this.conceptMaps = new ConceptMaps(conceptMaps);
  }

  /** `name@version`, recorded in Provenance. */
  get label(): string {
    return `${this.spec.name}@${this.spec.version}`;
  }

  /** The spec compiled into closures, built on first use and reused for every record. */
  private get compiled(): CompiledSpec {
    this.compiledSpec ??= compileSpec(this.spec);
    return this.compiledSpec;
  }

  /** Maps one record. Never throws for bad data: problems come back as issues. */
  async map(record: SourceRecord): Promise<MappedRecord> {
    return this.mapSync(record);
  }

  /**
   * {@link map}, synchronously: nothing in mapping waits on anything. A value of a shape no check
   * foresaw that still makes a rule fail (an object where a rule reads text) rejects this record
   * alone, at the record, never the file.
   */
  mapSync(record: SourceRecord): MappedRecord {
    try {
      return this.mapChecked(record);
    } catch {
      return {
        index: record.index,
        label: record.label,
        key: "?",
        issues: [
          {
            severity: "error",
            code: "structure",
            diagnostics: "The record could not be mapped: a value in it has a shape its format does not allow",
            expression: [record.label],
          },
        ],
        resources: [],
        unmapped: [],
        missing: [],
      };
    }
  }

  private mapChecked(record: SourceRecord): MappedRecord {
    const spec = this.spec;
    const compiled = this.compiled;
    const data = cloneRecord(record.data);
    const nulls = spec.nulls ?? [];
    const issues = [...checkFields(data, spec.fields, nulls, record.locate)];
    issues.push(...checkRecord(data, spec.checks ?? [], record.locate));
    const root: Scope = { root: data, item: data, path: "" };
    const key = compiled.recordKey.map((p) => keyPart(p.reader.first(root))).join("/");
    const base = { index: record.index, label: record.label, key };
    const present = [...leafPaths(data)].map(plainPath);
    const missing = missingNeeds(data, spec.needs ?? []);
    if (issues.some((i) => i.severity === "error")) {
      return { ...base, issues, resources: [], unmapped: [], missing };
    }

    const ctx: EvalContext = {
      source: spec.source,
      conceptMaps: this.conceptMaps,
      derivations: this.derivations,
      read: new Set(),
      misses: [],
    };
    for (const p of compiled.recordKey) ctx.read.add(p.plain);
    const resources: MappedResource[] = [];
    const byKey = new Map<string, MappedResource>();
    for (const c of compiled.rules) {
      const rule = c.rule;
      const scopes: Scope[] = rule.forEach ? forEachScopes(data, rule.forEach) : [root];
      if (c.forEachPlain !== undefined) ctx.read.add(c.forEachPlain);
      for (const scope of scopes) {
        if (c.when && !c.when(scope, ctx)) continue;
        const parts = c.key(scope, ctx);
        if (!parts) continue;
        const id = deterministicId(c.idSpace, rule.resourceType, parts);
        const body = (c.template(scope, ctx) ?? {}) as Record<string, unknown>;
        const meta: Record<string, unknown> = { source: compiled.metaSource };
        if (c.profile) meta.profile = [c.profile];
        const resource = { resourceType: rule.resourceType, id, meta, ...body };
        const key = `${rule.resourceType}/${id}`;
        const earlier = byKey.get(key);
        // One resource named twice by a record (two care-coordinator rows of one team): one resource,
        // the later row's elements over the earlier's, so nothing is written twice in one commit.
        if (earlier) earlier.resource = { ...earlier.resource, ...resource };
        else {
          const produced: MappedResource = { rule: rule.id, resource, ...(c.shared ? { shared: c.shared } : {}) };
          byKey.set(key, produced);
          resources.push(produced);
        }
      }
    }
    for (const miss of ctx.misses) {
      issues.push({
        severity: "error",
        code: "code-invalid",
        diagnostics: `${miss.path.split(".").pop()} has no translation in ConceptMap ${miss.map}`,
        expression: [record.locate(plainPath(miss.path))],
      });
    }
    if (issues.some((i) => i.severity === "error")) return { ...base, issues, resources: [], unmapped: [], missing };

    const unmapped = present.filter((p) => !ctx.read.has(p));
    if (resources.length > 0) resources.push(this.provenance(key, resources));
    return { ...base, issues, resources, unmapped, missing };
  }

  /** One Provenance per record, pointing at every resource the record produced. */
  private provenance(key: string, resources: MappedResource[]): MappedResource {
    const id = deterministicId(this.spec.source, "Provenance", [key]);
    return {
      rule: "provenance",
      resource: {
        resourceType: "Provenance",
        id,
        meta: { profile: [profileUrl("TFG-Provenance")], source: `urn:tfg:source:${this.spec.source}` },
        target: resources.map((r) => ({ reference: `${r.resource.resourceType}/${r.resource.id}` })),
        // Set at commit time by the ingest service; a placeholder keeps the shape stable.
        recorded: "1970-01-01T00:00:00.000Z",
        agent: [{ who: { display: `Think Family Gateway ingest (${this.spec.source})` } }],
        entity: [
          {
            role: "source",
            what: {
              identifier: { system: `urn:tfg:source-record:${this.spec.source}`, value: key },
              display: this.label,
            },
          },
        ],
      },
    };
  }
}
