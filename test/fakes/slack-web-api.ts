// Slack's Web API as the Slack integration uses it (reference §3.5, §3.7): a fetch handler that
// records every call, usable in workerd (`fetcher` of the kind's functions) and, through
// `startFakeSlackWebApi`, as an HTTP server for `wrangler dev` (SLACK_API_URL). It checks the bot
// token, keeps the messages it was given per channel, and answers 429 + Retry-After on demand.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

export type SlackCall = {
  method: string;
  token: string | null;
  args: Record<string, string>;
  at: number;
  /** set when the call was answered with a scripted failure (`fail`) */
  status?: number;
};
export type SlackMessage = {
  channel: string;
  ts: string;
  thread_ts?: string;
  text?: string;
  blocks?: unknown;
  user?: string;
};
export type SlackUser = { id: string; email?: string; confirmed?: boolean; bot?: boolean };

export type FakeSlack = ReturnType<typeof createSlackWebApi>;

export function createSlackWebApi(o: { token: string; users?: SlackUser[]; botUserId?: string }) {
  const calls: SlackCall[] = [];
  const messages: SlackMessage[] = [];
  const ephemerals: SlackMessage[] = [];
  const users = new Map((o.users ?? []).map((u) => [u.id, u]));
  type Failure = {
    method: string;
    status: number;
    retryAfter?: number;
    times: number;
    /** only calls whose arguments include these */
    where?: Record<string, string>;
  };
  const failures: Failure[] = [];
  let clock = 1_700_000_000_000_000;
  const nextTs = () => {
    clock += 100;
    return `${Math.floor(clock / 1e6)}.${String(clock % 1e6).padStart(6, "0")}`;
  };
  const ok = (body: Record<string, unknown>) => Response.json({ ok: true, ...body });
  const err = (error: string) => Response.json({ ok: false, error });

  const methods: Record<string, (a: Record<string, string>) => Response> = {
    "chat.postMessage": (a) => {
      const m: SlackMessage = { channel: a.channel, ts: nextTs(), user: o.botUserId };
      if (a.thread_ts) m.thread_ts = a.thread_ts;
      if (a.text) m.text = a.text;
      if (a.blocks) m.blocks = JSON.parse(a.blocks);
      messages.push(m);
      return ok({ channel: a.channel, ts: m.ts, message: m });
    },
    "chat.update": (a) => {
      const m = messages.find((x) => x.channel === a.channel && x.ts === a.ts);
      if (!m) return err("message_not_found");
      m.text = a.text;
      m.blocks = a.blocks ? JSON.parse(a.blocks) : undefined;
      return ok({ channel: a.channel, ts: a.ts, text: a.text });
    },
    "chat.postEphemeral": (a) => {
      const m: SlackMessage = { channel: a.channel, ts: nextTs(), user: a.user, text: a.text };
      if (a.thread_ts) m.thread_ts = a.thread_ts;
      ephemerals.push(m);
      return ok({ message_ts: m.ts });
    },
    "chat.getPermalink": (a) =>
      ok({
        channel: a.channel,
        permalink: `https://acme.slack.test/archives/${a.channel}/p${a.message_ts.replace(".", "")}`,
      }),
    "conversations.replies": (a) =>
      ok({
        messages: messages.filter(
          (m) => m.channel === a.channel && (m.ts === a.ts || m.thread_ts === a.ts),
        ),
        has_more: false,
      }),
    "users.info": (a) => {
      const u = users.get(a.user);
      if (!u) return err("user_not_found");
      return ok({
        user: {
          id: u.id,
          is_bot: !!u.bot,
          is_email_confirmed: !!u.confirmed,
          profile: u.email ? { email: u.email } : {},
        },
      });
    },
    "oauth.v2.access": (a) =>
      a.code === "good-code"
        ? ok({
            access_token: "xoxb-installed",
            token_type: "bot",
            scope: "app_mentions:read,chat:write",
            bot_user_id: o.botUserId ?? "UBOT",
            app_id: "A1",
            team: { id: "T1", name: "Acme" },
          })
        : err("invalid_code"),
  };

  async function fetch(input: Request | string | URL, init?: RequestInit): Promise<Response> {
    const req = new Request(input, init);
    const method = new URL(req.url).pathname.split("/").pop() ?? "";
    const text = new TextDecoder().decode(await req.arrayBuffer());
    const type = req.headers.get("content-type") ?? "";
    const args: Record<string, string> = type.startsWith("application/json")
      ? Object.fromEntries(
          Object.entries(JSON.parse(text || "{}") as Record<string, unknown>).map(([k, v]) => [
            k,
            typeof v === "string" ? v : JSON.stringify(v),
          ]),
        )
      : Object.fromEntries(new URLSearchParams(text));
    const auth = req.headers.get("authorization");
    const token = auth?.startsWith("Bearer ") ? auth.slice(7) : null;
    const call: SlackCall = { method, token, args, at: Date.now() };
    calls.push(call);
    const fail = failures.find(
      (f) =>
        f.method === method &&
        f.times > 0 &&
        Object.entries(f.where ?? {}).every(([k, v]) => args[k] === v),
    );
    if (fail) {
      fail.times--;
      call.status = fail.status;
      return new Response(JSON.stringify({ ok: false, error: "ratelimited" }), {
        status: fail.status,
        headers: fail.retryAfter ? { "retry-after": String(fail.retryAfter) } : {},
      });
    }
    const handler = methods[method];
    if (!handler) return err("unknown_method");
    if (method !== "oauth.v2.access" && token !== o.token) return err("invalid_auth");
    return handler(args);
  }

  return {
    fetch,
    calls,
    messages,
    ephemerals,
    users,
    /** the next `times` calls of `method` (`where` its arguments match) answer `status` (429: with Retry-After `retryAfter`) */
    fail(f: Omit<Failure, "times"> & { times?: number }) {
      failures.push({ ...f, times: f.times ?? 1 });
    },
    /** a message a person posts in a channel (a thread's parent or reply), for conversations.replies */
    post(m: Omit<SlackMessage, "ts"> & { ts?: string }): SlackMessage {
      const full = { ...m, ts: m.ts ?? nextTs() };
      messages.push(full);
      return full;
    },
    callsOf: (method: string) => calls.filter((c) => c.method === method),
  };
}

/** The fake over HTTP on 127.0.0.1 (the base to give as SLACK_API_URL is `url`). */
export async function startFakeSlackWebApi(o: Parameters<typeof createSlackWebApi>[0]) {
  const fake = createSlackWebApi(o);
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const headers = new Headers();
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === "string") headers.set(k, v);
    const answer = await fake.fetch(`http://fake${req.url}`, {
      method: req.method,
      headers,
      body: Buffer.concat(chunks),
    });
    const out: Record<string, string> = {};
    answer.headers.forEach((v, k) => {
      out[k] = v;
    });
    res.writeHead(answer.status, out);
    res.end(Buffer.from(await answer.arrayBuffer()));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  return {
    ...fake,
    url: `http://127.0.0.1:${port}/api`,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
