// What one `POST /agent/runs` costs in D1 round trips (docs/scaling.md, "Create path"): each is
// a request to the database, and locally a trip through Miniflare's D1 simulator.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { callWithEnv, newTeam } from "../helpers/api.ts";

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
  it("takes four: the key, the line's room with the budgets, the run's batch, its audit entry", async () => {
    const t = await newTeam();
    // the first creation warms what the isolate keeps (the team's configuration, the audit head)
    expect((await create(t.key, "warm up")).status).toBe(200);
    let res: Awaited<ReturnType<typeof create>> | undefined;
    const trips = await roundTrips(async () => {
      res = await create(t.key, "counted");
    });
    expect(res?.status, res?.text).toBe(200);
    expect(trips, trips.join("\n")).toHaveLength(4);
    const [key, room, batch, audit] = trips;
    // the key with its member, its name and its member's (for the audit entry)
    expect(key).toMatch(/from "api_keys".*left join "users"/);
    // the line's room and the budgets together, before anything is written
    expect(room).toMatch(/"waiting".* ; select "budget_monthly"/);
    expect(batch).toMatch(/insert into "runs"/);
    // linked to the head this isolate wrote, without reading it first
    expect(audit).toMatch(/^insert into "audit_log" .* select .* where exists/);
  });
});
