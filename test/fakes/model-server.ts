import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A stand-in model API for tests, playing scripted turns in the dialects the agents and vendor
 * CLIs speak: OpenAI chat completions (`POST /v1/chat/completions`) and Responses
 * (`POST /v1/responses`), Anthropic Messages (`POST /v1/messages`) and Gemini
 * (`POST /v1beta/models/<model>:generateContent` and `:streamGenerateContent`), each streaming as
 * the vendor frames it (or one JSON answer when the request does not ask for a stream). Requests
 * are routed by path, query string aside (Claude Code calls `/v1/messages?beta=true`). Tool-call
 * arguments are cut into small chunks so clients must join them.
 *
 * Usage is reported as each vendor does: OpenAI's chat stream sends its usage chunk only when the
 * request asks (`stream_options.include_usage`), like the real API.
 *
 * Side requests (probes of `/`, model lists, token counts, Claude Code's title and quota calls,
 * which send no tools) are answered without playing a turn and recorded in `sideRequests`;
 * `requests` holds the scripted ones. A WebSocket upgrade is refused, so clients that try one
 * first (Codex) fall back to HTTP streaming.
 */
export type ScriptedTurn = {
  text?: string;
  toolCalls?: {
    name: string;
    args: Record<string, unknown>;
    id?: string;
    /** the Responses API's tool namespace (Codex offers MCP tools as `mcp__<server>`) */
    namespace?: string;
  }[];
  /**
   * what the answer reports (default 100 in, 20 out): `input` uncached prompt tokens, `cacheRead`
   * and `cacheWrite` cached ones, each in the provider's own fields (OpenAI and Gemini count
   * cached tokens inside the prompt's, Anthropic apart)
   */
  usage?: { input: number; output: number; cacheRead?: number; cacheWrite?: number };
  /** stream the first chunk, then wait for this before the rest (to test cancelling mid-stream) */
  hold?: Promise<unknown>;
  /**
   * wait this many ms before each text delta (chat completions and Messages streams), as a real
   * model streams (a fast one: ~5 ms per 5-character delta); without it they go out at once
   */
  paceMs?: number;
  /** end the stream after its first event, as a dropped connection does */
  cut?: boolean;
  /** answer with this HTTP status and body instead of a stream */
  status?: number;
  body?: string;
};

export type RecordedRequest = {
  /** the path without its query string */
  path: string;
  method: string;
  /** the path with its query string, as sent */
  url: string;
  headers: Record<string, string | string[] | undefined>;
  body: any;
};
export type Script =
  | ScriptedTurn[]
  | ((req: RecordedRequest, index: number) => ScriptedTurn | Promise<ScriptedTurn>);

export type ModelServer = {
  url: string;
  requests: RecordedRequest[];
  sideRequests: RecordedRequest[];
  close(): Promise<void>;
};

type Dialect = "openai" | "responses" | "anthropic" | "gemini";

/** Which dialect a model call speaks, by method and path; undefined for anything else. */
function dialectOf(method: string, path: string): Dialect | undefined {
  if (method !== "POST") return undefined;
  if (path.endsWith("/chat/completions")) return "openai";
  if (path.endsWith("/responses")) return "responses";
  if (path.endsWith("/messages")) return "anthropic";
  if (/:(stream)?generateContent$/i.test(path)) return "gemini";
  return undefined;
}

/**
 * A side request's answer, or undefined for a model call that plays a turn: probes (`GET /`,
 * model lists), token counts, and model calls of a CLI's own (a session title, a one-token quota
 * check) besides the agent's turns.
 */
function sideAnswer(rec: RecordedRequest, dialect: Dialect | undefined): unknown {
  if (!dialect) {
    if (rec.path.endsWith("/count_tokens") || rec.path.endsWith(":countTokens"))
      return { input_tokens: 10, totalTokens: 10 };
    if (rec.method === "GET" && /\/models$/.test(rec.path))
      return { object: "list", data: [], models: [] };
    if (rec.method === "GET" || rec.method === "HEAD") return { ok: true };
    return undefined;
  }
  const b = rec.body ?? {};
  if (b.max_tokens === 1) return "side";
  const instructions = JSON.stringify([
    b.system,
    b.instructions,
    b.systemInstruction,
    b.messages?.[0]?.role === "system" ? b.messages[0] : null,
  ]);
  if (/title generator|generate a (short |concise |brief )?title/i.test(instructions))
    return "side";
  return undefined;
}

export async function startModelServer(
  script: Script,
  /** `host`: the address to listen on (127.0.0.1; a container reaches the host's bridge address) */
  opts: { port?: number; host?: string } = {},
): Promise<ModelServer> {
  const requests: RecordedRequest[] = [];
  const sideRequests: RecordedRequest[] = [];
  const server = createServer(async (req, res) => {
    const raw = await readBody(req);
    const url = req.url ?? "";
    const rec: RecordedRequest = {
      path: url.split("?")[0],
      method: req.method ?? "GET",
      url,
      headers: req.headers,
      body: raw ? JSON.parse(raw) : null,
    };
    const dialect = dialectOf(rec.method, rec.path);
    const side = sideAnswer(rec, dialect);
    if (side === "side") {
      sideRequests.push(rec);
      return play(
        res,
        dialect as Dialect,
        rec,
        { text: "Side answer", usage: { input: 5, output: 2 } },
        -1,
      );
    }
    if (side !== undefined) {
      sideRequests.push(rec);
      return void res
        .writeHead(200, { "content-type": "application/json" })
        .end(JSON.stringify(side));
    }
    if (!dialect) {
      sideRequests.push(rec);
      return void res.writeHead(404).end(`model-server: nothing at ${rec.method} ${rec.path}`);
    }
    const index = requests.push(rec) - 1;
    const turn = typeof script === "function" ? await script(rec, index) : script[index];
    if (!turn) return void res.writeHead(500).end(`model-server: script has no turn ${index + 1}`);
    if (turn.status)
      return void res
        .writeHead(turn.status, { "content-type": "application/json" })
        .end(turn.body ?? "{}");
    return play(res, dialect, rec, turn, index);
  });
  // no WebSocket here: a refused upgrade makes Codex fall back to HTTP streaming
  server.on("upgrade", (_req, socket) => {
    socket.end("HTTP/1.1 426 Upgrade Required\r\nconnection: close\r\ncontent-length: 0\r\n\r\n");
  });
  const host = opts.host ?? "127.0.0.1";
  await new Promise<void>((r) => server.listen(opts.port ?? 0, host, r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    sideRequests,
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** The model a request names: in its body, or in the path for Gemini (`models/<m>:…`). */
const modelOf = (rec: RecordedRequest) =>
  rec.body?.model ?? /models\/([^:/]+):/.exec(rec.path)?.[1] ?? "model";

function play(
  res: ServerResponse,
  dialect: Dialect,
  rec: RecordedRequest,
  turn: ScriptedTurn,
  index: number,
) {
  const model = modelOf(rec);
  const streaming =
    dialect === "gemini" ? /:streamGenerateContent$/i.test(rec.path) : rec.body?.stream === true;
  if (!streaming) {
    const answer = {
      openai: openAiJson,
      responses: responsesJson,
      anthropic: anthropicJson,
      gemini: geminiJson,
    }[dialect];
    return void res
      .writeHead(200, { "content-type": "application/json" })
      .end(JSON.stringify(answer(model, turn, index)));
  }
  const stream = { openai: openAi, responses, anthropic, gemini }[dialect];
  return stream(res, model, turn, index, rec);
}

const readBody = async (req: IncomingMessage) => {
  let s = "";
  for await (const c of req) s += c;
  return s;
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const pieces = (s: string, n: number) =>
  s.length ? s.match(new RegExp(`[\\s\\S]{1,${n}}`, "g"))! : [];

async function openAi(
  res: ServerResponse,
  model: string,
  turn: ScriptedTurn,
  index: number,
  rec: RecordedRequest,
) {
  res.writeHead(200, { "content-type": "text/event-stream" });
  const send = (obj: unknown) => res.write(`data: ${JSON.stringify(obj)}\n\n`);
  // asked for, the usage chunk comes last and every chunk before it says `"usage":null`
  const usage = rec.body?.stream_options?.include_usage;
  const chunk = (delta: unknown, finish: string | null = null) =>
    send({
      id: `chatcmpl-${index}`,
      object: "chat.completion.chunk",
      model,
      choices: [{ index: 0, delta, finish_reason: finish }],
      ...(usage ? { usage: null } : {}),
    });
  chunk({ role: "assistant", content: "" });
  if (turn.cut) return void res.end();
  await turn.hold;
  for (const p of pieces(turn.text ?? "", 5)) {
    if (turn.paceMs) await sleep(turn.paceMs);
    chunk({ content: p });
  }
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
  if (usage)
    send({
      id: `chatcmpl-${index}`,
      object: "chat.completion.chunk",
      model,
      choices: [],
      usage: openAiUsage(turn),
    });
  res.end("data: [DONE]\n\n");
}

async function anthropic(res: ServerResponse, model: string, turn: ScriptedTurn, index: number) {
  res.writeHead(200, { "content-type": "text/event-stream" });
  const send = (event: string, obj: Record<string, unknown>) =>
    res.write(`event: ${event}\ndata: ${JSON.stringify({ type: event, ...obj })}\n\n`);
  const u = anthropicUsage(turn);
  send("message_start", {
    message: {
      id: `msg_${index}`,
      type: "message",
      role: "assistant",
      model,
      content: [],
      stop_reason: null,
      usage: { ...u, output_tokens: 1 },
    },
  });
  if (turn.cut) return void res.end();
  await turn.hold;
  let block = 0;
  if (turn.text) {
    send("content_block_start", { index: block, content_block: { type: "text", text: "" } });
    for (const p of pieces(turn.text, 5)) {
      if (turn.paceMs) await sleep(turn.paceMs);
      send("content_block_delta", { index: block, delta: { type: "text_delta", text: p } });
    }
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
    usage: { output_tokens: u.output_tokens },
  });
  send("message_stop", {});
  res.end();
}

const usageOf = (turn: ScriptedTurn) => {
  const u = turn.usage ?? { input: 100, output: 20 };
  return { cacheRead: 0, cacheWrite: 0, ...u };
};
const openAiUsage = (turn: ScriptedTurn) => {
  const u = usageOf(turn);
  return {
    prompt_tokens: u.input + u.cacheRead,
    completion_tokens: u.output,
    total_tokens: u.input + u.cacheRead + u.output,
    prompt_tokens_details: { cached_tokens: u.cacheRead },
  };
};
const anthropicUsage = (turn: ScriptedTurn) => {
  const u = usageOf(turn);
  return {
    input_tokens: u.input,
    output_tokens: u.output,
    cache_read_input_tokens: u.cacheRead,
    cache_creation_input_tokens: u.cacheWrite,
  };
};
const callId = (c: { id?: string }, prefix: string, index: number, i: number) =>
  c.id ?? `${prefix}_${index}_${i}`;

function openAiJson(model: string, turn: ScriptedTurn, index: number) {
  const calls = (turn.toolCalls ?? []).map((c, i) => ({
    id: callId(c, "call", index, i),
    type: "function",
    function: { name: c.name, arguments: JSON.stringify(c.args) },
  }));
  return {
    id: `chatcmpl-${index}`,
    object: "chat.completion",
    model,
    choices: [
      {
        index: 0,
        message: {
          role: "assistant",
          content: turn.text ?? null,
          ...(calls.length ? { tool_calls: calls } : {}),
        },
        finish_reason: calls.length ? "tool_calls" : "stop",
      },
    ],
    usage: openAiUsage(turn),
  };
}

function anthropicJson(model: string, turn: ScriptedTurn, index: number) {
  return {
    id: `msg_${index}`,
    type: "message",
    role: "assistant",
    model,
    content: [
      ...(turn.text ? [{ type: "text", text: turn.text }] : []),
      ...(turn.toolCalls ?? []).map((c, i) => ({
        type: "tool_use",
        id: callId(c, "toolu", index, i),
        name: c.name,
        input: c.args,
      })),
    ],
    stop_reason: turn.toolCalls?.length ? "tool_use" : "end_turn",
    stop_sequence: null,
    usage: anthropicUsage(turn),
  };
}

/** The items of a Responses answer: a message, then one function call per tool call. */
function responseItems(turn: ScriptedTurn, index: number) {
  return [
    ...(turn.text
      ? [
          {
            type: "message",
            id: `msg_${index}`,
            role: "assistant",
            status: "completed",
            content: [{ type: "output_text", text: turn.text, annotations: [] }],
          },
        ]
      : []),
    ...(turn.toolCalls ?? []).map((c, i) => ({
      type: "function_call",
      id: `fc_${index}_${i}`,
      call_id: callId(c, "call", index, i),
      name: c.name,
      ...(c.namespace ? { namespace: c.namespace } : {}),
      arguments: JSON.stringify(c.args),
      status: "completed",
    })),
  ];
}

function responsesJson(model: string, turn: ScriptedTurn, index: number) {
  const u = usageOf(turn);
  return {
    id: `resp_${index}`,
    object: "response",
    created_at: Math.floor(Date.now() / 1000),
    status: "completed",
    model,
    output: responseItems(turn, index),
    usage: {
      input_tokens: u.input + u.cacheRead,
      input_tokens_details: { cached_tokens: u.cacheRead },
      output_tokens: u.output,
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: u.input + u.cacheRead + u.output,
    },
  };
}

/** The OpenAI Responses API over SSE: each item added, its text or arguments in deltas, done. */
async function responses(res: ServerResponse, model: string, turn: ScriptedTurn, index: number) {
  res.writeHead(200, { "content-type": "text/event-stream" });
  let seq = 0;
  const send = (type: string, obj: Record<string, unknown>) =>
    res.write(
      `event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: seq++, ...obj })}\n\n`,
    );
  const whole = responsesJson(model, turn, index);
  send("response.created", {
    response: { ...whole, status: "in_progress", output: [], usage: null },
  });
  if (turn.cut) return void res.end();
  await turn.hold;
  whole.output.forEach((item, output_index) => {
    if (item.type === "message") {
      send("response.output_item.added", {
        output_index,
        item: { ...item, status: "in_progress", content: [] },
      });
      const part = { type: "output_text", text: "", annotations: [] };
      send("response.content_part.added", {
        item_id: item.id,
        output_index,
        content_index: 0,
        part,
      });
      for (const delta of pieces(turn.text ?? "", 5))
        send("response.output_text.delta", {
          item_id: item.id,
          output_index,
          content_index: 0,
          delta,
        });
      send("response.output_text.done", {
        item_id: item.id,
        output_index,
        content_index: 0,
        text: turn.text,
      });
      send("response.content_part.done", {
        item_id: item.id,
        output_index,
        content_index: 0,
        part: { ...part, text: turn.text },
      });
    } else {
      const args = (item as { arguments: string }).arguments;
      send("response.output_item.added", {
        output_index,
        item: { ...item, arguments: "", status: "in_progress" },
      });
      for (const delta of pieces(args, 7))
        send("response.function_call_arguments.delta", { item_id: item.id, output_index, delta });
      send("response.function_call_arguments.done", {
        item_id: item.id,
        output_index,
        arguments: args,
      });
    }
    send("response.output_item.done", { output_index, item });
  });
  send("response.completed", { response: whole });
  res.end();
}

function geminiJson(model: string, turn: ScriptedTurn, _index: number) {
  const u = usageOf(turn);
  const parts = [
    ...(turn.text ? [{ text: turn.text }] : []),
    ...(turn.toolCalls ?? []).map((c) => ({ functionCall: { name: c.name, args: c.args } })),
  ];
  return {
    candidates: [{ content: { role: "model", parts }, finishReason: "STOP", index: 0 }],
    usageMetadata: {
      promptTokenCount: u.input + u.cacheRead,
      candidatesTokenCount: u.output,
      totalTokenCount: u.input + u.cacheRead + u.output,
      ...(u.cacheRead ? { cachedContentTokenCount: u.cacheRead } : {}),
    },
    modelVersion: model,
  };
}

/** Gemini's `streamGenerateContent?alt=sse`: the text in chunks, then the calls and usage. */
async function gemini(res: ServerResponse, model: string, turn: ScriptedTurn, index: number) {
  res.writeHead(200, { "content-type": "text/event-stream" });
  const send = (obj: unknown) => res.write(`data: ${JSON.stringify(obj)}\n\n`);
  const chunk = (parts: unknown[]) =>
    send({ candidates: [{ content: { role: "model", parts }, index: 0 }], modelVersion: model });
  const text = pieces(turn.text ?? "", 5);
  chunk(text.length ? [{ text: text.shift() }] : []);
  if (turn.cut) return void res.end();
  await turn.hold;
  for (const p of text) chunk([{ text: p }]);
  const whole = geminiJson(model, turn, index);
  send({
    ...whole,
    candidates: [
      {
        ...whole.candidates[0],
        content: {
          role: "model",
          parts: (turn.toolCalls ?? []).map((c) => ({
            functionCall: { name: c.name, args: c.args },
          })),
        },
      },
    ],
  });
  res.end();
}
