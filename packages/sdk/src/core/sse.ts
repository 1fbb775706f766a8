/** One Server-Sent Events message. */
export type SseMessage = { id?: string; event?: string; data: string };

/** Parses a `text/event-stream` body into messages (WHATWG rules: fields, blank-line dispatch, comments). */
export async function* parseSse(body: ReadableStream<Uint8Array>): AsyncGenerator<SseMessage> {
  const reader = body.getReader();
  const decoder = new TextDecoder(); // `stream: true` keeps a character split across chunks whole
  let buffer = "";
  let msg: { id?: string; event?: string; data: string[] } = { data: [] };
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += decoder.decode(value, { stream: true });
      let nl: number;
      while ((nl = buffer.search(/\r\n|\r|\n/)) >= 0) {
        if (buffer[nl] === "\r" && nl === buffer.length - 1) break; // a "\n" may follow in the next chunk
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + (buffer.startsWith("\r\n", nl) ? 2 : 1));
        if (line === "") {
          if (msg.data.length) yield { id: msg.id, event: msg.event, data: msg.data.join("\n") };
          msg = { data: [] };
          continue;
        }
        if (line.startsWith(":")) continue;
        const colon = line.indexOf(":");
        const field = colon < 0 ? line : line.slice(0, colon);
        const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
        if (field === "data") msg.data.push(value);
        else if (field === "event") msg.event = value;
        else if (field === "id") msg.id = value;
      }
    }
  } finally {
    reader.cancel().catch(() => {});
  }
}
