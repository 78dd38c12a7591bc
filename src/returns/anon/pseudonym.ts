/** Keyed pseudonyms: HMAC-SHA256 through Web Crypto, tagged with the id of the key that made them. */
import { badRequest } from "../../fhir/errors.js";
import type { PseudonymKey } from "../port.js";

/** A key id as published beside its pseudonyms: short, and safe in a CSV cell, an XML id and a file name. */
export const KEY_ID_PATTERN = /^[A-Za-z0-9-]{1,16}$/;

/** Bytes of the HMAC kept in a pseudonym (128 bits: collisions are negligible for any population). */
const PSEUDONYM_BYTES = 16;

const base64url = (bytes: Uint8Array): string => {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
};

/** Makes pseudonyms under one key; the imported CryptoKey is reused for every value. */
export interface Pseudonymiser {
  /** The key id every pseudonym carries. */
  keyId: string;
  /** `<keyId>_<22 base64url characters>` for `value` (trimmed, upper-cased first so spacing or case never splits one person). */
  pseudonym(value: string): Promise<string>;
}

/** Normalises an identifier before keying: spaces removed, upper case. */
export const normaliseIdentifier = (value: string) => value.replace(/\s+/g, "").toUpperCase();

/** A pseudonymiser for `key`; 400 when the key id is unusable or the secret shorter than 16 bytes. */
export async function pseudonymiser(key: PseudonymKey): Promise<Pseudonymiser> {
  if (!KEY_ID_PATTERN.test(key.id)) throw badRequest("The pseudonym key id must be 1-16 letters, digits or '-'");
  if (key.secret.byteLength < 16) throw badRequest("The pseudonym key must be at least 16 bytes");
  const subtle = crypto.subtle;
  const secret = new Uint8Array(key.secret);
  const hmac = await subtle.importKey("raw", secret, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const encoder = new TextEncoder();
  return {
    keyId: key.id,
    async pseudonym(value) {
      const mac = new Uint8Array(await subtle.sign("HMAC", hmac, encoder.encode(normaliseIdentifier(value))));
      return `${key.id}_${base64url(mac.subarray(0, PSEUDONYM_BYTES))}`;
    },
  };
}
