// What one `POST /agent/runs` costs in D1 round trips (docs/scaling.md, "Create path"): each is
// a request to the database, and locally a trip through Miniflare's D1 simulator.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { call, callWithEnv, newTeam } from "../helpers/api.ts";

type Sender = (...args: unknown[]) => Promise<unknown>;

/**
 * Runs `fn` with every D1 round trip of this isolate written to the returned list (its SQL
 * statements, joined): the D1 session's two senders, which every query and batch ends in (the
 * bench meter, src/lib/meter.ts, counts the same).
 */
async function roundTrips(fn: () => Promise<unknown>): Promise<string[]> {
  const session = (env.DB as unknown as { alwaysPrimarySession: object }).alwaysPrimarySession;
  let proto = Object.getPrototypeOf(session);
  while (proto && !Object.hasOwn(proto, "_send")) proto = Object.getPrototypeOf(proto);
  const seen: string[] = [];
  const orig = { send: proto._send as Sender, query: proto._queryOrThrow as Sender | undefined };
  proto._send = function (this: unknown, ...args: unknown[]) {
    seen.push(([] as string[]).concat(args[1] as string | string[]).join(" ; "));
    return orig.send.apply(this, args);
  };
  if (orig.query)
    proto._queryOrThrow = function (this: unknown, ...args: unknown[]) {
      const { queries } = args[0] as { queries: { sql: string }[] };
      seen.push(queries.map((q) => q.sql).join(" ; "));
      return orig.query!.apply(this, args);
    };
  try {
    await fn();
  } finally {
    proto._send = orig.send;
    if (orig.query) proto._queryOrThrow = orig.query;
  }
  return seen;
}

const create = (key: string, prompt: string) =>
  callWithEnv({}, "POST", "/api/v1/agent/runs", { key, body: { prompt } });

describe("a run's creation, in D1 round trips", () => {
  it("takes three: the key, the line's room with the budgets, the run's batch with its audit entry", async () => {
    const t = await newTeam();
    // the first creation warms what the isolate keeps (the team's configuration, the audit head)
    expect((await create(t.key, "warm up")).status).toBe(200);
    let res: Awaited<ReturnType<typeof create>> | undefined;
    const trips = await roundTrips(async () => {
      res = await create(t.key, "counted");
    });
    expect(res?.status, res?.text).toBe(200);
    expect(trips, trips.join("\n")).toHaveLength(3);
    const [key, room, batch] = trips;
    // the key with its member, its name and its member's (for the audit entry)
    expect(key).toMatch(/from "api_keys".*left join "users"/);
    // the line's room and the budgets together, before anything is written
    expect(room).toMatch(/"waiting".* ; select "budget_monthly"/);
    // the run, and its audit entry linked to the head this isolate wrote, without reading it first
    expect(batch).toMatch(
      /insert into "runs".* ; insert into "audit_log" .* select .* where exists/,
    );
    const runId = (res!.json as { run_id: string }).run_id;
    const { results } = await env.DB.prepare(
      "SELECT action, target_id FROM audit_log WHERE team_id = ? ORDER BY seq DESC LIMIT 1",
    )
      .bind(t.teamId)
      .all();
    expect(results).toEqual([{ action: "run.create", target_id: runId }]);
  });

  it("records the entry after the batch when the head moved on meanwhile: the chain neither forks nor gaps", async () => {
    const t = await newTeam();
    expect((await create(t.key, "warm up")).status).toBe(200);
    // another isolate appends: this one's head is stale, and its entry's insert takes no row
    const other = await call("POST", "/api/v1/agent/runs", { key: t.key, body: { prompt: "x" } });
    expect(other.status).toBe(200);
    await env.DB.prepare(
      `INSERT INTO audit_log (id, team_id, seq, at, actor_type, actor_id, action, prev_hash, hash)
       SELECT 'elsewhere', team_id, seq + 1, at, 'platform', 'platform', 'test.elsewhere', hash, 'h-elsewhere'
       FROM audit_log WHERE team_id = ? ORDER BY seq DESC LIMIT 1`,
    )
      .bind(t.teamId)
      .run();
    let res: Awaited<ReturnType<typeof create>> | undefined;
    const trips = await roundTrips(async () => {
      res = await create(t.key, "after the move");
    });
    expect(res?.status, res?.text).toBe(200);
    // the batch (its entry took no row; the head was read beside it), then the entry on that head
    expect(trips).toHaveLength(4);
    expect(trips[3]).toMatch(/^insert into "audit_log" .* select .* where exists/);
    const { results } = await env.DB.prepare(
      "SELECT seq, action, prev_hash, hash FROM audit_log WHERE team_id = ? ORDER BY seq DESC LIMIT 2",
    )
      .bind(t.teamId)
      .all<{ seq: number; action: string; prev_hash: string; hash: string }>();
    const [last, before] = results;
    expect(before.action).toBe("test.elsewhere");
    expect(last).toMatchObject({
      seq: before.seq + 1,
      action: "run.create",
      prev_hash: before.hash,
    });
    const runs = await env.DB.prepare("SELECT count(*) AS n FROM runs WHERE team_id = ?")
      .bind(t.teamId)
      .first<{ n: number }>("n");
    expect(runs).toBe(3);
  });

  it("parallel creations each ride on the entry before them: one chain, every run recorded once", async () => {
    const t = await newTeam();
    expect((await create(t.key, "warm up")).status).toBe(200);
    const made = await Promise.all(Array.from({ length: 6 }, (_, i) => create(t.key, `p${i}`)));
    expect(made.map((r) => r.status)).toEqual(Array(6).fill(200));
    const { results } = await env.DB.prepare(
      "SELECT seq, action, target_id, prev_hash, hash FROM audit_log WHERE team_id = ? ORDER BY seq",
    )
      .bind(t.teamId)
      .all<{ seq: number; action: string; target_id: string; prev_hash: string; hash: string }>();
    const created = results.filter((e) => e.action === "run.create").map((e) => e.target_id);
    const ids = made.map((r) => (r.json as { run_id: string }).run_id);
    expect(created.slice(1).sort()).toEqual([...ids].sort());
    // no gap and no fork: each entry links to the one before it
    results.forEach((e, i) => {
      expect(e.seq).toBe(results[0].seq + i);
      if (i) expect(e.prev_hash).toBe(results[i - 1].hash);
    });
  });

  it("creates the run when its audit entry cannot be written, riding or after: the entry is lost, the write is not", async () => {
    const t = await newTeam();
    expect((await create(t.key, "warm up")).status).toBe(200);
    // a D1 binding that refuses every audit insert (as a D1 outage of that one table would)
    const refusing = new Proxy(env.DB, {
      get(target, prop) {
        const value = Reflect.get(target, prop, target);
        if (prop !== "prepare") return typeof value === "function" ? value.bind(target) : value;
        return (sql: string) => {
          if (/insert into "audit_log"/.test(sql)) throw new Error("audit_log unavailable");
          return target.prepare(sql);
        };
      },
    });
    const res = await callWithEnv({ DB: refusing }, "POST", "/api/v1/agent/runs", {
      key: t.key,
      body: { prompt: "no audit" },
    });
    expect(res.status, res.text).toBe(200);
    const runId = (res.json as { run_id: string }).run_id;
    expect(
      await env.DB.prepare("SELECT state FROM runs WHERE id = ?").bind(runId).first("state"),
    ).toBe("QUEUED");
    expect(
      await env.DB.prepare("SELECT count(*) AS n FROM audit_log WHERE target_id = ?")
        .bind(runId)
        .first("n"),
    ).toBe(0);
  });
});
