/**
 * Node's HTTP parser refuses some requests before the app sees them (headers over `maxHeaderSize`, a
 * malformed request line). By default it answers with an empty body; this answers with an
 * OperationOutcome like every other error, and the right status (431 for headers too large).
 */
import type { Server } from "node:http";
import type { Duplex } from "node:stream";
import type { Logger } from "../log/logger.js";

const REASONS: Record<number, string> = { 400: "Bad Request", 431: "Request Header Fields Too Large" };

/** The raw HTTP/1.1 response written for a request the parser refused. */
export function clientErrorResponse(code: string | undefined): string {
  const status = code === "HPE_HEADER_OVERFLOW" ? 431 : 400;
  const diagnostics =
    status === 431
      ? "The request's headers are too large (a bearer token is a few kilobytes at most)"
      : "The request could not be parsed as HTTP/1.1";
  const body = JSON.stringify({
    resourceType: "OperationOutcome",
    issue: [{ severity: "error", code: status === 431 ? "too-long" : "structure", diagnostics }],
  });
  return [
    `HTTP/1.1 ${status} ${REASONS[status]}`,
    "Content-Type: application/fhir+json; charset=utf-8",
    `Content-Length: ${Buffer.byteLength(body)}`,
    "Connection: close",
    "",
    body,
  ].join("\r\n");
}

/** Answers parser-refused requests with an OperationOutcome; logs the parser's code only (never the bytes). */
export function answerClientErrors(server: Server, logger: Logger): void {
  server.on("clientError", (err: NodeJS.ErrnoException, socket: Duplex) => {
    if (err.code === "ECONNRESET" || !socket.writable) {
      socket.destroy();
      return;
    }
    logger.info({ code: err.code }, "request refused by the HTTP parser");
    socket.end(clientErrorResponse(err.code));
  });
}
