/** The mappings shipped in mappings/, loaded as data (bundled into the Worker, imported on Node). */
import cinEthnicity from "../../mappings/cin/conceptmap-ethnicity.json" with { type: "json" };
import cinFactorSubject from "../../mappings/cin/conceptmap-factor-subject.json" with { type: "json" };
import cinSex from "../../mappings/cin/conceptmap-sex.json" with { type: "json" };
import cinSpec from "../../mappings/cin/mapping.json" with { type: "json" };
import cpaGender from "../../mappings/cpa/conceptmap-gender.json" with { type: "json" };
import cpaRelationship from "../../mappings/cpa/conceptmap-relationship.json" with { type: "json" };
import cpaSpec from "../../mappings/cpa/mapping.json" with { type: "json" };
import ndtmsPrntstat from "../../mappings/ndtms/conceptmap-prntstat-parental-status.json" with { type: "json" };
import ndtmsSex from "../../mappings/ndtms/conceptmap-sex-gender.json" with { type: "json" };
import ndtmsSpec from "../../mappings/ndtms/mapping.json" with { type: "json" };
import pregnant from "../../mappings/shared/conceptmap-pregnant.json" with { type: "json" };
import ssdCpCategory from "../../mappings/ssd/conceptmap-cp-category.json" with { type: "json" };
import ssdRelationship from "../../mappings/ssd/conceptmap-related-person-relationship.json" with { type: "json" };
import ssdSpec from "../../mappings/ssd/mapping.json" with { type: "json" };
import { DERIVATIONS } from "./derivations/index.js";
import { Mapping } from "./engine.js";
import type { ConceptMapJson, MappingSpec } from "./types.js";

/** Sources the gateway ingests. */
export type SourceName = "cpa" | "ndtms" | "cin" | "ssd";

let cache: Partial<Record<SourceName, Mapping>> | undefined;

/** The mapping for a source. */
export function mappingFor(source: SourceName): Mapping {
  cache ??= {
    ndtms: new Mapping(
      ndtmsSpec as unknown as MappingSpec,
      [ndtmsPrntstat, ndtmsSex, pregnant] as unknown as ConceptMapJson[],
      DERIVATIONS,
    ),
    cin: new Mapping(
      cinSpec as unknown as MappingSpec,
      [cinEthnicity, cinSex, cinFactorSubject] as unknown as ConceptMapJson[],
      DERIVATIONS,
    ),
    cpa: new Mapping(
      cpaSpec as unknown as MappingSpec,
      [cpaGender, cpaRelationship, pregnant] as unknown as ConceptMapJson[],
      DERIVATIONS,
    ),
    ssd: new Mapping(
      ssdSpec as unknown as MappingSpec,
      [cinEthnicity, cinSex, ssdCpCategory, ssdRelationship] as unknown as ConceptMapJson[],
      DERIVATIONS,
    ),
  };
  const m = cache[source];
  if (!m) throw new Error(`No mapping for source '${source}'`);
  return m;
}
