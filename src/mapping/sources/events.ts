/** What every source reader yields: records to map, records already broken, or a fatal problem that stops the file. */
import type { FhirIssue } from "../../fhir/errors.js";
import type { SourceRecord } from "../engine.js";

/** A parsed source event. */
export type SourceEvent =
  | { kind: "record"; record: SourceRecord }
  | { kind: "broken"; index: number; label: string; issues: FhirIssue[] }
  | { kind: "fatal"; issue: FhirIssue };
