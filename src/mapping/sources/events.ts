/**
 * What every source reader yields: records to map, records already broken, a fatal problem that stops
 * the file, or (before any record) the owner organisation a file's header names.
 */
import type { FhirIssue } from "../../fhir/errors.js";
import type { SourceRecord } from "../engine.js";

/** A parsed source event. */
export type SourceEvent =
  | { kind: "record"; record: SourceRecord }
  | { kind: "broken"; index: number; label: string; issues: FhirIssue[] }
  | { kind: "fatal"; issue: FhirIssue }
  /** The organisation a file's header names as the owner of its records (CPA OrgIDProvider, CIN LEA); `where` locates it. */
  | { kind: "owner"; owner: unknown; where: string };
