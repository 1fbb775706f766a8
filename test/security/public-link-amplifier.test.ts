// Finding 7: a public link was an unauthenticated amplifier. Nothing capped the sockets or SSE
// streams of a run (300 on one link were all accepted), every attach sent the whole presence list
// to every socket (quadratic), and an attach replayed the whole log at once, one frame per event.
// Now a run takes at most RUN_VIEWERS_MAX viewers of all kinds, a public link at most
// PUBLIC_VIEWERS_PER_IP_MAX per address (429 with Retry-After), presence is coalesced, and a
// replay goes out in bounded pages.
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import {
  BASE,
  call,
  callWithEnv,
  expectProblem,
  type Json,
  newTeam,
  readResponse,
} from "../helpers/api.ts";
import { advance, hostAppend, messages, RUNS } from "../helpers/runs.ts";
import { attachRequest, TestSocket } from "../helpers/sockets.ts";

const PER_RUN = 100; // wrangler.toml RUN_VIEWERS_MAX
const PER_IP = 10; // wrangler.toml PUBLIC_VIEWERS_PER_IP_MAX

async function publicRun() {
  const team = await newTeam("amplifier");
  const create = await call("POST", RUNS, {
    key: team.key,
    body: { prompt: "watch me", sharing: { public: "VIEWER" } },
  });
  expect(create.status, create.text).toBe(200);
  const runId = create.json.run_id as string;
  const ref = { runId, teamId: team.teamId };
  await advance(ref, "dispatch", "claim", "start");
  const path = (url: string) => new URL(url).pathname;
  return {
    team,
    runId,
    ref,
    session: path(create.json.sharing.public_session_url),
    events: path(create.json.sharing.public_events_url),
  };
}

const open = (
  path: string,
  ip: string,
  headers: Record<string, string> = { upgrade: "websocket" },
) =>
  exports.default.fetch(
    new Request(`${BASE}${path}`, { headers: { "cf-connecting-ip": ip, ...headers } }),
  );

async function socket(path: string, ip: string) {
  const res = await open(path, ip);
  expect(res.status, res.status === 101 ? "" : await res.text()).toBe(101);
  const s = new TestSocket(res.webSocket!);
  await s.nth("ready", 1);
  return s;
}

async function expectTooMany(res: Response, limit: RegExp) {
  const out = await readResponse(res);
  const body = expectProblem(out, 429, "rate_limited");
  expect(Number(out.headers.get("retry-after"))).toBeGreaterThan(0);
  expect(body.detail).toMatch(limit);
  return body;
}

describe("viewer caps", () => {
  it("a public link takes at most PUBLIC_VIEWERS_PER_IP_MAX viewers (sockets and SSE) from one address", async () => {
    const { session, events } = await publicRun();
    const sockets = await Promise.all(
      Array.from({ length: PER_IP - 1 }, () => socket(session, "203.0.113.7")),
    );
    const sse = await open(events, "203.0.113.7", { accept: "text/event-stream" });
    expect(sse.status).toBe(200);
    await expectTooMany(
      await open(session, "203.0.113.7"),
      /PUBLIC_VIEWERS_PER_IP_MAX.*10|10.*per address/,
    );
    await expectTooMany(await open(events, "203.0.113.7", { accept: "text/event-stream" }), /10/);
    // another address is welcome
    const other = await socket(session, "198.51.100.1");
    // one leaves, one more may come
    sockets[0].close();
    await sockets[0].untilClosed();
    await new Promise((r) => setTimeout(r, 50));
    (await socket(session, "203.0.113.7")).close();
    for (const s of [...sockets, other]) s.close();
    await sse.body!.cancel();
  });

  it("counts an IPv6 viewer by its /64: cycling through one prefix's addresses does not escape the cap", async () => {
    const { session } = await publicRun();
    const sockets = await Promise.all(
      Array.from({ length: PER_IP }, (_, i) =>
        socket(session, `2001:db8:1:2::${(i + 1).toString(16)}`),
      ),
    );
    await expectTooMany(
      await open(session, "2001:0db8:0001:0002:ffff:0:0:1"),
      /PUBLIC_VIEWERS_PER_IP_MAX/,
    );
    (await socket(session, "2001:db8:1:3::1")).close(); // the next /64 is another subscriber
    for (const s of sockets) s.close();
  });

  it("a run takes at most RUN_VIEWERS_MAX viewers of all kinds: the next one, public or teammate, gets 429", async () => {
    const { team, runId, session } = await publicRun();
    const sockets: TestSocket[] = [];
    for (let ip = 0; ip < PER_RUN / PER_IP; ip++) {
      sockets.push(
        ...(await Promise.all(
          Array.from({ length: PER_IP }, () => socket(session, `192.0.2.${ip + 1}`)),
        )),
      );
    }
    expect(sockets).toHaveLength(PER_RUN);
    const refused = await expectTooMany(
      await open(session, "192.0.2.200"),
      /RUN_VIEWERS_MAX.*100|100 viewers/,
    );
    expect(refused.retryable).toBe(true);
    await expectTooMany(await attachRequest(runId, { key: team.key }), /100/);
    await expectTooMany(
      await exports.default.fetch(
        new Request(`${BASE}${RUNS}/${runId}/events`, {
          headers: { authorization: `Bearer ${team.key}`, accept: "text/event-stream" },
        }),
      ),
      /100/,
    );
    for (const s of sockets) s.close();
  });
});

describe("presence", () => {
  it("costs O(1) frames per socket per attach: a burst of attaches is told in a few coalesced presence frames", async () => {
    const { session } = await publicRun();
    const n = 2 * PER_IP;
    const first = await socket(session, "203.0.113.1");
    const rest = [
      ...(await Promise.all(
        Array.from({ length: PER_IP - 1 }, () => socket(session, "203.0.113.1")),
      )),
      ...(await Promise.all(Array.from({ length: PER_IP }, () => socket(session, "203.0.113.2")))),
    ];
    // the last presence everyone gets counts all of them
    const total = (f: Json) =>
      f.type === "presence" &&
      f.attached.reduce((sum: number, e: Json) => sum + e.connections, 0) === n;
    await first.until("presence with everyone", () => first.frames.find(total), 5_000);
    await new Promise((r) => setTimeout(r, 1_500)); // anything still coming
    expect(first.ofType("presence").length).toBeLessThanOrEqual(4); // before: one per attach (n)
    for (const s of rest) expect(s.ofType("presence").length).toBeLessThanOrEqual(4);
    for (const s of [first, ...rest]) s.close();
  });
});

describe("replay", () => {
  it("sends a long log in bounded pages, not one frame per event", async () => {
    const { ref, session } = await publicRun();
    for (let from = 1; from <= 2_500; from += 500)
      expect(await hostAppend(ref, messages(from, 500))).toMatchObject({ ok: true });
    const s = await socket(session, "203.0.113.9");
    const all = await s.until(
      "the whole replay",
      () => s.events().length >= 2_504 && s.events(),
      10_000,
    );
    expect(all.map((e) => e.seq)).toEqual(Array.from({ length: 2_504 }, (_, i) => i + 1));
    const replay = s.frames.filter((f) => f.type === "event" || f.type === "events");
    expect(replay.length).toBeLessThanOrEqual(30); // before: 2,504 frames
    for (const f of replay)
      expect(f.type === "events" ? f.events.length : 1).toBeLessThanOrEqual(500);
    // live events still arrive, after the replay, in order
    await hostAppend(ref, messages(2_501, 1));
    expect((await s.untilSeq(2_505)).at(-1)!.seq).toBe(2_505);
    s.close();
  });

  it("an SSE replay of a long log arrives whole and in order", async () => {
    const { ref, events } = await publicRun();
    for (let from = 1; from <= 1_500; from += 500) await hostAppend(ref, messages(from, 500));
    const res = await open(events, "203.0.113.10", { accept: "text/event-stream" });
    const reader = res.body!.getReader();
    let text = "";
    const decoder = new TextDecoder();
    while ((text.match(/\n\n/g) ?? []).length < 1_504) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
    const ids = [...text.matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1]));
    expect(ids).toEqual(Array.from({ length: 1_504 }, (_, i) => i + 1));
    await reader.cancel();
  });
});

describe("public link requests", () => {
  it("are limited per client address across every link (PUBLIC_LINK_REQUESTS_PER_IP_PER_MINUTE): the next is 429 with Retry-After", async () => {
    const { events } = await publicRun();
    const item = events.replace(/\/events$/, "");
    const get = (path: string, ip: string) =>
      callWithEnv({ PUBLIC_LINK_REQUESTS_PER_IP_PER_MINUTE: "3" }, "GET", path, {
        headers: { "cf-connecting-ip": ip },
      });
    const ip = `10.9.${Math.floor(Math.random() * 256)}.${Math.floor(Math.random() * 256)}`;
    for (const path of [item, events, item]) {
      const ok = await get(path, ip);
      expect(ok.status, ok.text).toBe(200);
      expect(ok.headers.get("ratelimit-policy")).toBe('"public-link";q=3;w=60');
    }
    const refused = expectProblem(await get(events, ip), 429, "rate_limited");
    expect(refused.detail).toMatch(/PUBLIC_LINK_REQUESTS_PER_IP_PER_MINUTE/);
    // a link that does not exist counts too: guessing share ids is limited the same way
    expectProblem(await get("/api/v1/public/runs/no-such-link", ip), 429, "rate_limited");
    // another address has its own budget
    expect((await get(item, "198.51.100.77")).status).toBe(200);
  });
});
