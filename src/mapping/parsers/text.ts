/** Byte sources as text: UTF-8 chunks, or physical lines of bounded length (any mix of CRLF, LF and CR line ends). */
import { READER_LIMITS } from "./limits.js";

/** Any source of bytes or text chunks: a Web stream (HTTP body, Workers) or an async iterable (Node files, tests). */
export type ByteSource = ReadableStream<Uint8Array> | AsyncIterable<Uint8Array | string>;

/**
 * The bytes of a source could not be read to the end: the sender went away or the file could not be
 * read (`interrupted`), or it passed the upload limit (`too-large`, thrown by a limiter around the
 * source). Readers let it through; ingest turns it into the file's fatal problem.
 */
export class SourceReadError extends Error {
  constructor(
    readonly reason: "interrupted" | "too-large",
    readonly limit?: number,
  ) {
    super(reason === "too-large" ? `The file is larger than the limit of ${limit} bytes` : "The file ended early");
    this.name = "SourceReadError";
  }
}

/**
 * The source as UTF-8 text chunks (multi-byte characters split across chunks are joined correctly; a
 * leading byte order mark is dropped), in pieces of at most `pieceChars`. Invalid UTF-8 becomes U+FFFD,
 * which every reader then refuses at its row and column, so nothing is silently replaced. A failure of
 * the source itself is a {@link SourceReadError}.
 */
export async function* decoded(source: ByteSource, pieceChars = Number.POSITIVE_INFINITY): AsyncGenerator<string> {
  const decoder = new TextDecoder("utf-8");
  const iterable: AsyncIterable<Uint8Array | string> =
    Symbol.asyncIterator in source
      ? (source as AsyncIterable<Uint8Array | string>)
      : streamIterable(source as ReadableStream<Uint8Array>);
  const iterator = iterable[Symbol.asyncIterator]();
  const turn: Turn = { since: performance.now() };
  try {
    for (;;) {
      let next: IteratorResult<Uint8Array | string>;
      try {
        next = await iterator.next();
      } catch (err) {
        throw err instanceof SourceReadError ? err : new SourceReadError("interrupted");
      }
      if (next.done) break;
      const c = next.value;
      yield* pieces(typeof c === "string" ? c : decoder.decode(c, { stream: true }), pieceChars, turn);
    }
  } finally {
    // Stops the source when a reader gives up early (a fatal problem), so an upload is not read on.
    await iterator.return?.()?.catch?.(() => undefined);
  }
  const tail = decoder.decode();
  if (tail) yield tail;
}

/**
 * Text for parsers whose every character costs (XML, streamed JSON) comes in pieces of this many
 * characters at most, so no single parse step runs long (2 K characters of deeply nested tags take saxes
 * a few milliseconds).
 */
export const PARSER_PIECE_CHARS = 2 * 1024;
/** Work, in ms, after which a reader gives the event loop a turn (other requests, /healthz) before going on. */
const BUSY_MS = 10;

/**
 * Waits for the event loop to run pending I/O: `setImmediate` where the host has it (Node: no 1 ms timer
 * clamp, so a busy CLI ingest is not slowed by its own yields), else a zero timeout (Workers).
 */
const nextTurn = (): Promise<void> => {
  const immediate = (globalThis as { setImmediate?: (callback: () => void) => unknown }).setImmediate;
  return new Promise((resolve) => (immediate ? immediate(resolve) : setTimeout(resolve, 0)));
};

/** Tracks when the reading last let the event loop run. */
interface Turn {
  since: number;
}

/**
 * `text` in pieces of at most `size` characters (never splitting a surrogate pair). After each piece
 * has been consumed, if the reading has kept the thread for more than {@link BUSY_MS} ms, it waits one
 * timer tick: an upload whose bytes are all buffered would otherwise be parsed in one run of
 * microtasks, and every other request would wait for it.
 */
async function* pieces(text: string, size: number, turn: Turn): AsyncGenerator<string> {
  let i = 0;
  while (i < text.length) {
    let end = Math.min(text.length, i + size);
    const last = text.charCodeAt(end - 1);
    if (end < text.length && last >= 0xd800 && last <= 0xdbff) end--;
    yield i === 0 && end === text.length ? text : text.slice(i, end);
    i = end;
    if (performance.now() - turn.since > BUSY_MS) {
      await nextTurn();
      turn.since = performance.now();
    }
  }
}

async function* streamIterable(stream: ReadableStream<Uint8Array>): AsyncGenerator<Uint8Array> {
  const reader = stream.getReader();
  let finished = false;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) {
        finished = true;
        return;
      }
      yield value;
    }
  } finally {
    if (!finished) await reader.cancel().catch(() => undefined);
    reader.releaseLock();
  }
}

/** One physical line: its 1-based number, its text without the line end, and the line end itself. */
export interface TextLine {
  line: number;
  text: string;
  /** `\r\n`, `\n`, `\r`, or "" for a last line without one. */
  eol: string;
  /** True when the line was longer than the limit: its text was dropped unread (`text` is ""). */
  overlong: boolean;
}

/**
 * Physical lines of the source, each ended by CRLF, LF or a lone CR (a file may mix them). A line longer
 * than `maxChars` is never held: its text is dropped as it arrives and it comes back `overlong`, so the
 * reader can reject it and go on at the next line. Linear in the input, whatever the line lengths.
 */
export async function* readLines(source: ByteSource, maxChars = READER_LIMITS.recordChars): AsyncGenerator<TextLine> {
  let pending = "";
  let skipping = false;
  let heldCr = false;
  let line = 0;
  const append = (s: string) => {
    if (skipping || s === "") return;
    pending += s;
    if (pending.length > maxChars) {
      skipping = true;
      pending = "";
    }
  };
  const take = (eol: string): TextLine => {
    line++;
    const out: TextLine =
      skipping || pending.length > maxChars
        ? { line, text: "", eol, overlong: true }
        : { line, text: pending, eol, overlong: false };
    pending = "";
    skipping = false;
    return out;
  };
  for await (const chunk of decoded(source)) {
    let i = 0;
    if (heldCr && chunk.length > 0) {
      heldCr = false;
      if (chunk.charCodeAt(0) === 10) {
        i = 1;
        yield take("\r\n");
      } else yield take("\r");
    }
    let nextNl = chunk.indexOf("\n", i);
    let nextCr = chunk.indexOf("\r", i);
    while (i < chunk.length) {
      if (nextNl >= 0 && nextNl < i) nextNl = chunk.indexOf("\n", i);
      if (nextCr >= 0 && nextCr < i) nextCr = chunk.indexOf("\r", i);
      const end = nextNl < 0 ? nextCr : nextCr < 0 ? nextNl : Math.min(nextNl, nextCr);
      if (end < 0) {
        append(i === 0 ? chunk : chunk.slice(i));
        break;
      }
      append(chunk.slice(i, end));
      if (chunk.charCodeAt(end) === 10) {
        yield take("\n");
        i = end + 1;
      } else if (end + 1 === chunk.length) {
        heldCr = true;
        i = end + 1;
      } else if (chunk.charCodeAt(end + 1) === 10) {
        yield take("\r\n");
        i = end + 2;
      } else {
        yield take("\r");
        i = end + 1;
      }
    }
  }
  if (heldCr) yield take("\r");
  else if (pending !== "" || skipping) yield take("");
}

/** A JSON.parse failure described without quoting the input (V8 messages can include a snippet of it). */
export function describeJsonError(err: unknown): string {
  if (err instanceof RangeError) return "nested too deeply to read";
  const pos = /position (\d+)/.exec(String((err as Error)?.message))?.[1];
  return `not valid JSON${pos ? ` (at character ${pos})` : ""}`;
}
