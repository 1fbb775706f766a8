import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A stand-in model API for tests: speaks OpenAI chat completions (`POST /v1/chat/completions`)
 * and Anthropic Messages (`POST /v1/messages`), both streaming over SSE exactly as the vendors
 * frame it, and plays scripted turns. Tool-call arguments are cut into small chunks so clients
 * must join them. Every request is recorded for assertions.
 */
export type ScriptedTurn = {
  text?: string;
  toolCalls?: { name: string; args: Record<string, unknown>; id?: string }[];
  usage?: { input: number; output: number };
  /** stream the first chunk, then wait for this before the rest (to test cancelling mid-stream) */
  hold?: Promise<unknown>;
  /** end the stream after its first event, as a dropped connection does */
  cut?: boolean;
  /** answer with this HTTP status and body instead of a stream */
  status?: number;
  body?: string;
};

export type RecordedRequest = {
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: any;
};
export type Script =
  | ScriptedTurn[]
  | ((req: RecordedRequest, index: number) => ScriptedTurn | Promise<ScriptedTurn>);

export type ModelServer = { url: string; requests: RecordedRequest[]; close(): Promise<void> };

export async function startModelServer(
  script: Script,
  opts: { port?: number } = {},
): Promise<ModelServer> {
  const requests: RecordedRequest[] = [];
  const server = createServer(async (req, res) => {
    const raw = await readBody(req);
    const rec: RecordedRequest = {
      path: req.url ?? "",
      headers: req.headers,
      body: raw ? JSON.parse(raw) : null,
    };
    const index = requests.push(rec) - 1;
    const turn = typeof script === "function" ? await script(rec, index) : script[index];
    if (!turn) return void res.writeHead(500).end(`model-server: script has no turn ${index + 1}`);
    if (turn.status)
      return void res
        .writeHead(turn.status, { "content-type": "application/json" })
        .end(turn.body ?? "{}");
    if (req.method === "POST" && req.url === "/v1/chat/completions")
      return openAi(res, rec.body.model, turn, index);
    if (req.method === "POST" && req.url === "/v1/messages")
      return anthropic(res, rec.body.model, turn, index);
    res.writeHead(404).end("not found");
  });
  await new Promise<void>((r) => server.listen(opts.port ?? 0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

const readBody = async (req: IncomingMessage) => {
  let s = "";
  for await (const c of req) s += c;
  return s;
};

const pieces = (s: string, n: number) =>
  s.length ? s.match(new RegExp(`[\\s\\S]{1,${n}}`, "g"))! : [];

async function openAi(res: ServerResponse, model: string, turn: ScriptedTurn, index: number) {
  res.writeHead(200, { "content-type": "text/event-stream" });
  const send = (obj: unknown) => res.write(`data: ${JSON.stringify(obj)}\n\n`);
  const chunk = (delta: unknown, finish: string | null = null) =>
    send({
      id: `chatcmpl-${index}`,
      object: "chat.completion.chunk",
      model,
      choices: [{ index: 0, delta, finish_reason: finish }],
    });
  chunk({ role: "assistant", content: "" });
  if (turn.cut) return void res.end();
  await turn.hold;
  for (const p of pieces(turn.text ?? "", 5)) chunk({ content: p });
  (turn.toolCalls ?? []).forEach((c, i) => {
    chunk({
      tool_calls: [
        {
          index: i,
          id: c.id ?? `call_${index}_${i}`,
          type: "function",
          function: { name: c.name, arguments: "" },
        },
      ],
    });
    for (const p of pieces(JSON.stringify(c.args), 7))
      chunk({ tool_calls: [{ index: i, function: { arguments: p } }] });
  });
  chunk({}, turn.toolCalls?.length ? "tool_calls" : "stop");
  const u = turn.usage ?? { input: 100, output: 20 };
  send({
    id: `chatcmpl-${index}`,
    object: "chat.completion.chunk",
    model,
    choices: [],
    usage: {
      prompt_tokens: u.input,
      completion_tokens: u.output,
      total_tokens: u.input + u.output,
    },
  });
  res.end("data: [DONE]\n\n");
}

function anthropic(res: ServerResponse, model: string, turn: ScriptedTurn, index: number) {
  res.writeHead(200, { "content-type": "text/event-stream" });
  const send = (event: string, obj: Record<string, unknown>) =>
    res.write(`event: ${event}\ndata: ${JSON.stringify({ type: event, ...obj })}\n\n`);
  const u = turn.usage ?? { input: 100, output: 20 };
  send("message_start", {
    message: {
      id: `msg_${index}`,
      type: "message",
      role: "assistant",
      model,
      content: [],
      stop_reason: null,
      usage: { input_tokens: u.input, output_tokens: 1 },
    },
  });
  if (turn.cut) return void res.end();
  let block = 0;
  if (turn.text) {
    send("content_block_start", { index: block, content_block: { type: "text", text: "" } });
    for (const p of pieces(turn.text, 5))
      send("content_block_delta", { index: block, delta: { type: "text_delta", text: p } });
    send("content_block_stop", { index: block++ });
  }
  (turn.toolCalls ?? []).forEach((c, i) => {
    send("content_block_start", {
      index: block,
      content_block: {
        type: "tool_use",
        id: c.id ?? `toolu_${index}_${i}`,
        name: c.name,
        input: {},
      },
    });
    for (const p of pieces(JSON.stringify(c.args), 7))
      send("content_block_delta", {
        index: block,
        delta: { type: "input_json_delta", partial_json: p },
      });
    send("content_block_stop", { index: block++ });
  });
  res.write(": keep-alive comment\n\n");
  send("message_delta", {
    delta: { stop_reason: turn.toolCalls?.length ? "tool_use" : "end_turn", stop_sequence: null },
    usage: { output_tokens: u.output },
  });
  send("message_stop", {});
  res.end();
}
