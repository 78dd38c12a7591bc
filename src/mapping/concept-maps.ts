/** Code translation with FHIR ConceptMaps (http://hl7.org/fhir/R4/conceptmap.html), as mappings/ declares them. */
import type { ConceptMapJson } from "./types.js";

/** A translated code. */
export interface Coding {
  system: string;
  code: string;
  display?: string;
}

/** Looks up translations by ConceptMap id. */
export class ConceptMaps {
  private readonly maps = new Map<string, Map<string, Coding>>();

  constructor(conceptMaps: ConceptMapJson[]) {
    for (const cm of conceptMaps) {
      const table = new Map<string, Coding>();
      for (const g of cm.group) {
        for (const e of g.element) {
          const t = e.target[0];
          if (t) table.set(e.code, { system: g.target, code: t.code, ...(t.display ? { display: t.display } : {}) });
        }
      }
      this.maps.set(cm.id, table);
    }
  }

  /** The target coding for `code`, or undefined when the map has no entry for it. Throws for an unknown map. */
  translate(mapId: string, code: string): Coding | undefined {
    const table = this.maps.get(mapId);
    if (!table) throw new Error(`Unknown ConceptMap '${mapId}'`);
    return table.get(code);
  }

  /** True when the map exists. */
  has(mapId: string): boolean {
    return this.maps.has(mapId);
  }
}
