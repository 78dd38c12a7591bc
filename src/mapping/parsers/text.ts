/** Helpers to read byte sources as text: whole (bounded by the caller's limit) or line by line. */
/** Any source of bytes or text chunks: a Web stream (HTTP body, Workers) or an async iterable (Node files, tests). */
export type ByteSource = ReadableStream<Uint8Array> | AsyncIterable<Uint8Array | string>;

/** The source as UTF-8 text chunks (multi-byte characters split across chunks are joined correctly). */
export async function* decoded(source: ByteSource): AsyncGenerator<string> {
  const decoder = new TextDecoder("utf-8");
  const iterable: AsyncIterable<Uint8Array | string> =
    Symbol.asyncIterator in source
      ? (source as AsyncIterable<Uint8Array | string>)
      : streamIterable(source as ReadableStream<Uint8Array>);
  for await (const c of iterable) yield typeof c === "string" ? c : decoder.decode(c, { stream: true });
  const tail = decoder.decode();
  if (tail) yield tail;
}

async function* streamIterable(stream: ReadableStream<Uint8Array>): AsyncGenerator<Uint8Array> {
  const reader = stream.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      yield value;
    }
  } finally {
    reader.releaseLock();
  }
}

/** The whole source as one string. */
export async function readText(source: ByteSource): Promise<string> {
  let text = "";
  for await (const s of decoded(source)) text += s;
  return text;
}

/** Lines of the source (without line ends), with 1-based line numbers. */
export async function* readLines(source: ByteSource): AsyncGenerator<{ line: number; text: string }> {
  let pending = "";
  let line = 0;
  for await (const chunk of decoded(source)) {
    pending += chunk;
    let nl = pending.indexOf("\n");
    while (nl >= 0) {
      line++;
      yield { line, text: pending.slice(0, nl).replace(/\r$/, "") };
      pending = pending.slice(nl + 1);
      nl = pending.indexOf("\n");
    }
  }
  if (pending !== "") yield { line: line + 1, text: pending.replace(/\r$/, "") };
}

/** A JSON.parse failure described without quoting the input (V8 messages can include a snippet of it). */
export function describeJsonError(err: unknown): string {
  const pos = /position (\d+)/.exec(String((err as Error)?.message))?.[1];
  return `not valid JSON${pos ? ` (at character ${pos})` : ""}`;
}
