/** Opaque tokens in links (the `_cursor` of search and history paging): JSON, as base64url of its UTF-8. */

/** Encodes `value` as base64url (no padding) of its JSON's UTF-8 bytes. */
export function encodeOpaque(value: unknown): string {
  let binary = "";
  for (const byte of new TextEncoder().encode(JSON.stringify(value))) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** Decodes a token made by {@link encodeOpaque}; `undefined` when it is not base64url of UTF-8 JSON. */
export function decodeOpaque(text: string): unknown {
  try {
    const bytes = Uint8Array.from(atob(text.replace(/-/g, "+").replace(/_/g, "/")), (ch) => ch.charCodeAt(0));
    return JSON.parse(new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes));
  } catch {
    return undefined;
  }
}
