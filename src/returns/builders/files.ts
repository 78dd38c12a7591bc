/** Output files of a return: CSV through the reports' formula-safe writer, JSON, XML, each as bytes. */
import { type Column, csvHeader, csvRows } from "../../reports/csv.js";
import type { ReturnFile } from "../port.js";

const encoder = new TextEncoder();

/** A CSV file (header row, CRLF, formula-safe cells). */
export function csvFile<T>(name: string, columns: readonly Column<T>[], rows: readonly T[]): ReturnFile {
  return {
    name,
    mediaType: "text/csv; charset=utf-8; header=present",
    bytes: encoder.encode(csvHeader(columns) + csvRows(columns, rows)),
  };
}

/** A JSON file (two-space indented, newline at the end). */
export const jsonFile = (name: string, value: unknown): ReturnFile => ({
  name,
  mediaType: "application/json",
  bytes: encoder.encode(`${JSON.stringify(value, null, 2)}\n`),
});

/** An XML file. */
export const xmlFile = (name: string, text: string): ReturnFile => ({
  name,
  mediaType: "application/xml",
  bytes: encoder.encode(text),
});
