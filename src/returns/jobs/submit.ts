/**
 * Sends a built return to its national endpoint (issue 11 scope 3; docs/RETURNS.md): the file signed with the
 * gateway's key (a detached JWS, verifiable against /.well-known/jwks.json) or, where the recipient publishes a key,
 * signed and then encrypted to it (JWE). Idempotent: every attempt carries the same Idempotency-Key (job id and file
 * digest), a submitted job answers with its stored receipt, and only one caller at a time can claim a submission.
 * Transient failures (network, 408, 429, 5xx) are retried with backoff (p-retry); other 4xx end the submission.
 */

import { CompactEncrypt, importJWK, type JWK } from "jose";
import pRetry, { AbortError } from "p-retry";
import { conflict, GatewayError, gone } from "../../fhir/errors.js";
import { attachPayload, type NotificationSigner } from "../../notify/signing.js";
import type { Store } from "../../store/port.js";
import type { JobActor, JobState, SubmissionReceipt } from "./job-events.js";
import { JobLog } from "./job-log.js";
import { sha256Hex } from "./run-job.js";
import type { ReturnSettings } from "./settings.js";

/** The header the detached signature travels in (as for notifications). */
export const RETURN_SIGNATURE_HEADER = "X-TFG-Signature";
/** How long a claimed submission stays claimed before another caller may take it over (a crashed sender). */
export const SUBMIT_LEASE_MS = 10 * 60 * 1000;

/** What a submission runs with. */
export interface SubmitDeps {
  store: Store;
  settings: ReturnSettings;
  signer: NotificationSigner | undefined;
  clock: () => Date;
  fetch?: typeof fetch;
}

/** The outcome: the receipt, and whether it was already there (a repeated submit changes nothing). */
export interface SubmitResult {
  receipt: SubmissionReceipt;
  alreadySubmitted: boolean;
}

const badGateway = (diagnostics: string) =>
  new GatewayError(502, "submission-failed", [{ severity: "error", code: "transient", diagnostics }]);

/** Whether an HTTP status is worth another attempt. */
export const retryable = (status: number) => status === 408 || status === 429 || status >= 500;

/** The JWE key-management algorithm for a recipient's public key. */
function jweAlg(jwk: JWK): string {
  if (typeof jwk.alg === "string") return jwk.alg;
  return jwk.kty === "RSA" ? "RSA-OAEP-256" : "ECDH-ES+A256KW";
}

function receiptIdOf(body: string, location: string | null): string | undefined {
  try {
    const json = JSON.parse(body) as { id?: unknown; receiptId?: unknown };
    const id = json.receiptId ?? json.id;
    if (typeof id === "string" && id.length <= 200) return id;
  } catch {
    // not JSON: the Location header, if any
  }
  return location ?? undefined;
}

/** Submits job `state` as `by`; throws 409 (not built, no endpoint, being submitted), 410 (files gone) or 502. */
export async function submitJob(deps: SubmitDeps, state: JobState, by: JobActor): Promise<SubmitResult> {
  if (state.status === "submitted" && state.submission.receipt) {
    return { receipt: state.submission.receipt, alreadySubmitted: true };
  }
  const since = state.submission.submittingSince;
  const stale = since !== undefined && deps.clock().getTime() - Date.parse(since) > SUBMIT_LEASE_MS;
  if (state.status === "submitting" && !stale) throw conflict("The return is being submitted by another request");
  if (state.status !== "built" && !(state.status === "submitting" && stale)) {
    throw conflict(`The return is ${state.status}, not built: only a built return can be submitted`);
  }
  if (state.filesDeleted) throw gone("The return's files were deleted at the end of their retention");
  const endpoint = deps.settings.endpoints[state.request.kind];
  if (!endpoint) throw conflict(`No national endpoint is configured for ${state.request.kind} (TFG_RETURN_ENDPOINTS)`);
  if (!deps.signer) throw conflict("No signing key is configured (TFG_SIGNING_JWK): a return is never sent unsigned");
  const file = state.files[0];
  if (!file) throw conflict("The return has no file to submit");
  const stored = await deps.store.readFile(file.key);
  if (!stored) throw gone("The return's file is no longer stored");
  if ((await sha256Hex(stored.bytes)) !== file.sha256) {
    throw new GatewayError(500, "file-integrity", [
      {
        severity: "fatal",
        code: "exception",
        diagnostics: "The stored return file does not match its recorded digest",
      },
    ]);
  }

  const log = new JobLog(deps.store);
  if (!(await log.appendAfter(state, { type: "submitting", by }))) {
    throw conflict("The return is being submitted by another request");
  }
  const idempotencyKey = `${state.id}:${file.sha256}`;
  const signature = await deps.signer.signDetached(stored.bytes, file.mediaType);
  const headers = new Headers({ "Idempotency-Key": idempotencyKey, "X-TFG-Return-Kind": state.request.kind });
  let body: Uint8Array | string;
  let protection: SubmissionReceipt["protection"];
  if (endpoint.encryptTo) {
    const recipient = endpoint.encryptTo;
    const alg = jweAlg(recipient);
    const key = await importJWK(recipient, alg);
    const header = { alg, enc: "A256GCM", cty: "JOSE", ...(recipient.kid ? { kid: recipient.kid } : {}) };
    body = await new CompactEncrypt(new TextEncoder().encode(attachPayload(signature, stored.bytes)))
      .setProtectedHeader(header)
      .encrypt(key);
    headers.set("Content-Type", "application/jose");
    protection = "jwe";
  } else {
    body = stored.bytes;
    headers.set("Content-Type", file.mediaType);
    headers.set(RETURN_SIGNATURE_HEADER, signature);
    protection = "jws";
  }

  const doFetch = deps.fetch ?? fetch;
  try {
    const receipt = await pRetry(
      async (attempt) => {
        let response: Response;
        try {
          response = await doFetch(endpoint.url, {
            method: "POST",
            headers,
            body: body as string | Uint8Array<ArrayBuffer>,
            signal: AbortSignal.timeout(deps.settings.timeoutSeconds * 1000),
          });
        } catch {
          await log.append(state.id, { type: "submit-attempt", attempt, error: "network error or timeout" });
          throw new Error("network error or timeout");
        }
        const text = (await response.text()).slice(0, 2000);
        await log.append(state.id, { type: "submit-attempt", attempt, status: response.status });
        if (response.ok) {
          const id = receiptIdOf(text, response.headers.get("Location"));
          return {
            idempotencyKey,
            status: response.status,
            ...(id !== undefined ? { receiptId: id } : {}),
            body: text,
            protection,
            keyId: deps.signer?.kid ?? "",
            attempts: attempt,
          } satisfies SubmissionReceipt;
        }
        const message = `HTTP ${response.status}`;
        if (!retryable(response.status)) throw new AbortError(message);
        throw new Error(message);
      },
      {
        retries: Math.max(0, deps.settings.submitAttempts - 1),
        minTimeout: deps.settings.retryBaseMs,
        factor: 2,
        randomize: false,
      },
    );
    await log.append(state.id, { type: "submitted", receipt });
    return { receipt, alreadySubmitted: false };
  } catch (err) {
    const message = `The national endpoint did not accept the return (${(err as Error).message})`;
    await log.append(state.id, { type: "submit-failed", message });
    throw badGateway(message);
  }
}
