/** Reads a Children in Need census XML file (DfE schema 2024–2026) into one record per Child. */
import type { ByteSource } from "../parsers/csv.js";
import { readXmlElements } from "../parsers/xml-elements.js";
import type { SourceEvent } from "./events.js";

/** Elements that repeat in the CIN schema (kept as arrays even when they occur once). */
export const CIN_ARRAYS = new Set([
  "Disability",
  "CINdetails",
  "Assessments",
  "AssessmentFactors",
  "CINPlanDates",
  "Section47",
  "ChildProtectionPlans",
  "CPPreviewDate",
]);

/** `CINdetails[0].Assessments[1].X` → `/Message/Children/Child[4]/CINdetails[1]/Assessments[2]/X` (XPath positions are 1-based). */
export function cinLocator(childIndex: number): (path: string) => string {
  return (path) => {
    const steps = path.split(".").map((s) => s.replace(/\[(\d+)\]/, (_m, n: string) => `[${Number(n) + 1}]`));
    const top = steps[0]?.replace(/\[\d+\]$/, "") ?? "";
    if (["LA", "Year", "ReferenceDate"].includes(top)) return `/Message/Header (${top})`;
    return `/Message/Children/Child[${childIndex}]/${steps.join("/")}`;
  };
}

/** Streams CIN children. Each record carries the header's LEA (as `LA`), `Year` and `ReferenceDate`. */
export async function* cinRecords(source: ByteSource): AsyncGenerator<SourceEvent> {
  let header: Record<string, unknown> = {};
  for await (const e of readXmlElements(source, {
    root: "Message",
    header: "Message/Header",
    record: "Message/Children/Child",
    arrays: CIN_ARRAYS,
  })) {
    if (e.kind === "fatal") {
      yield e;
      return;
    }
    if (e.kind === "header") {
      header = e.value;
      const source = (Array.isArray(header.Source) ? header.Source[0] : header.Source) as
        | Record<string, unknown>
        | undefined;
      if (source?.LEA !== undefined) yield { kind: "owner", owner: source.LEA, where: "/Message/Header/Source/LEA" };
      continue;
    }
    if (e.problem) {
      const where = `/Message/Children/Child[${e.index}]${e.problem.path ? `/${e.problem.path}` : ""}`;
      yield {
        kind: "broken",
        index: e.index,
        label: `Child[${e.index}]`,
        issues: [{ severity: "error", code: "structure", diagnostics: e.problem.diagnostics, expression: [where] }],
      };
      continue;
    }
    const details = (header.CollectionDetails ?? {}) as Record<string, unknown>;
    const src = (Array.isArray(header.Source) ? header.Source[0] : (header.Source ?? {})) as Record<string, unknown>;
    const data: Record<string, unknown> = { ...e.value };
    if (src.LEA !== undefined) data.LA = src.LEA;
    if (details.Year !== undefined) data.Year = details.Year;
    if (details.ReferenceDate !== undefined) data.ReferenceDate = details.ReferenceDate;
    yield { kind: "record", record: { index: e.index, label: `Child[${e.index}]`, data, locate: cinLocator(e.index) } };
  }
}
