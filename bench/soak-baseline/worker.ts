// The soak bench's baseline (`npm run bench -- soak --baseline do|noop`): the smallest Worker that
// does what the local runtime does once per Ambit run, without any of Ambit's code. `/do` opens a
// new Durable Object with SQLite storage (as each run opens its own RunSession), creates a run
// row and an events table, appends 16 events of ~200 bytes over five RPCs and arms an alarm that
// appends one more; `/noop` answers at once. If the runtime's memory grows per `/do` as it grows
// per Ambit run and stays flat per `/noop`, the growth is the local runtime's, not Ambit's.
import { DurableObject } from "cloudflare:workers";

type Env = { SESSION: DurableObjectNamespace<Session> };

const PAYLOAD = JSON.stringify({ text: "x".repeat(160), n: 0 });

export class Session extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.blockConcurrencyWhile(async () => {
      ctx.storage.sql.exec(`CREATE TABLE IF NOT EXISTS run (
        id TEXT PRIMARY KEY, state TEXT NOT NULL, updated_at INTEGER NOT NULL)`);
      ctx.storage.sql.exec(`CREATE TABLE IF NOT EXISTS events (
        seq INTEGER PRIMARY KEY, type TEXT NOT NULL, at INTEGER NOT NULL, payload TEXT NOT NULL)`);
    });
  }

  /** One RPC of a run's life: its state, then `events` events. */
  async step(state: string, events: number) {
    const now = Date.now();
    this.ctx.storage.sql.exec(
      `INSERT INTO run (id, state, updated_at) VALUES ('run', ?, ?)
       ON CONFLICT(id) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at`,
      state,
      now,
    );
    for (let i = 0; i < events; i++)
      this.ctx.storage.sql.exec(
        "INSERT INTO events (type, at, payload) VALUES (?, ?, ?)",
        state,
        now,
        PAYLOAD,
      );
    if (state === "SUCCEEDED") await this.ctx.storage.setAlarm(now + 2_000);
    return { ok: true as const };
  }

  async alarm() {
    this.ctx.storage.sql.exec(
      "INSERT INTO events (type, at, payload) VALUES ('alarm', ?, ?)",
      Date.now(),
      PAYLOAD,
    );
  }
}

export default {
  async fetch(req: Request, env: Env): Promise<Response> {
    const { pathname } = new URL(req.url);
    if (pathname === "/do") {
      const stub = env.SESSION.get(env.SESSION.newUniqueId());
      for (const state of ["QUEUED", "CLAIMED", "RUNNING", "RUNNING", "SUCCEEDED"])
        await stub.step(state, state === "RUNNING" ? 5 : 2);
      return new Response("ok");
    }
    return new Response(pathname === "/noop" || pathname === "/healthz" ? "ok" : "not found", {
      status: pathname === "/noop" || pathname === "/healthz" ? 200 : 404,
    });
  },
} satisfies ExportedHandler<Env>;
