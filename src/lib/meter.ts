import { env as moduleEnv } from "cloudflare:workers";

/**
 * The billable-operation meter of `npm run bench -- cost` (bench/cost.ts): with the var
 * `AMBIT_METER=1` (benches only; never set in wrangler.toml) it counts, in this isolate, what
 * Cloudflare bills: Worker invocations, D1 rows read and written (from each answer's `meta`),
 * Durable Object requests, websocket messages and wall time, queue messages sent and delivered,
 * KV and R2 operations. `GET /api/__meter` answers the totals so far (counts only: no names,
 * ids or payloads). Without the var nothing is patched and the route does not exist: production
 * pays one property read at startup.
 *
 * It counts by wrapping the bindings' prototypes once, so every caller (routes, queue consumers,
 * Durable Objects) is counted without passing anything around. Locally a Worker and its Durable
 * Objects share one isolate, so one set of counters sees them all; deployed, each isolate would
 * keep its own, which is why it is a bench tool and not a metric.
 */
export const METER_PATH = "/api/__meter";

export const meterOn = (moduleEnv as { AMBIT_METER?: string }).AMBIT_METER === "1";

const counts: Record<string, number> = {};
const add = (key: string, n = 1) => {
  counts[key] = (counts[key] ?? 0) + n;
};

type Fn = (...args: unknown[]) => unknown;
type Handler = ExportedHandler<Env>;
type DoClass = { name: string; prototype: object };

/**
 * Turns the meter on when `AMBIT_METER=1`: patches the bindings and the Durable Object classes
 * and wraps the Worker's handlers. Otherwise returns `handler` as it is.
 */
export function withMeter<H extends Handler>(handler: H, classes: DoClass[]): H {
  if (!meterOn) return handler;
  meterBindings(moduleEnv as unknown as Record<string, unknown>);
  for (const cls of classes) {
    meterObjectClass(cls);
    meterObjectStorage(cls);
  }
  const metered: Handler = {
    ...handler,
    fetch(req, env, ctx) {
      const url = new URL(req.url);
      if (url.pathname === METER_PATH) {
        countCursorRows();
        return Response.json(counts);
      }
      add("worker.fetch");
      return handler.fetch!(req, env, ctx);
    },
    queue(batch, env, ctx) {
      add("worker.queue");
      add(`queue.delivered.${queueName(batch.queue)}`, batch.messages.length);
      return handler.queue!(batch, env, ctx);
    },
    scheduled(controller, env, ctx) {
      add("worker.scheduled");
      return handler.scheduled!(controller, env, ctx);
    },
  };
  return metered as H;
}

/** `ambit-runs` and `ambit-runs-preview` alike → `runs` */
const queueName = (q: string) => q.replace(/^ambit-/, "").replace(/-(preview|staging)$/, "");

/** Wraps `proto[name]` (own or inherited) with `around`, once. */
function wrap(
  proto: object,
  name: string,
  around: (orig: Fn, self: unknown, args: unknown[]) => unknown,
) {
  const orig = (proto as Record<string, unknown>)[name];
  if (typeof orig !== "function" || (orig as { metered?: true }).metered) return;
  const wrapped = function (this: unknown, ...args: unknown[]) {
    return around(orig as Fn, this, args);
  };
  (wrapped as { metered?: true }).metered = true;
  Object.defineProperty(proto, name, { value: wrapped, configurable: true, writable: true });
}

/**
 * Sums `rows_read`/`rows_written` of one D1 answer or of a batch's answers, in all and by
 * statement (its SQL text, placeholders and all: never the bound values).
 */
function d1Rows(sql: string[], result: unknown) {
  const results = Array.isArray(result) ? result : [result];
  results.forEach((r, i) => {
    type Meta = { rows_read?: number; rows_written?: number; duration?: number };
    const meta = (r as { meta?: Meta } | null)?.meta;
    const q = `d1.sql.${(sql[i] ?? "?").replace(/\s+/g, " ").slice(0, 120)}`;
    add("d1.rows_read", meta?.rows_read ?? 0);
    add("d1.rows_written", meta?.rows_written ?? 0);
    // the database's own time on the statement: a database runs one at a time
    add("d1.duration_ms", meta?.duration ?? 0);
    add(`${q}.count`);
    add(`${q}.rows_read`, meta?.rows_read ?? 0);
    add(`${q}.rows_written`, meta?.rows_written ?? 0);
  });
  return result;
}

function meterBindings(env: Record<string, unknown>) {
  for (const [name, b] of Object.entries(env)) {
    if (!b || typeof b !== "object") continue;
    const o = b as Record<string, unknown>;
    if ("alwaysPrimarySession" in o) meterD1(o.alwaysPrimarySession as object);
    else if (typeof o.getWithMetadata === "function") meterKv(Object.getPrototypeOf(o));
    else if (typeof o.createMultipartUpload === "function") meterR2(Object.getPrototypeOf(o));
    else if (typeof o.sendBatch === "function") meterQueue(o, name);
    else if (typeof o.idFromName === "function") meterNamespace(o, name);
  }
}

/** binding object → its name in `env` (the producers, and the namespaces, share a prototype) */
const names = new WeakMap<object, string>();
const nameOf = (self: unknown) => names.get(self as object) ?? "unknown";

/** Every D1 query (prepared, batch, exec) ends in one of the session's two senders. */
function meterD1(session: object) {
  for (
    let p = Object.getPrototypeOf(session);
    p && p !== Object.prototype;
    p = Object.getPrototypeOf(p)
  ) {
    if (Object.hasOwn(p, "_send"))
      wrap(p, "_send", (orig, self, args) => {
        add("d1.round_trips");
        const sql = ([] as string[]).concat(args[1] as string | string[]);
        add("d1.statements", sql.length);
        return (orig.apply(self, args) as Promise<unknown>).then((r) => d1Rows(sql, r));
      });
    if (Object.hasOwn(p, "_queryOrThrow"))
      wrap(p, "_queryOrThrow", (orig, self, args) => {
        add("d1.round_trips");
        const sql = (args[0] as { queries: { sql: string }[] }).queries.map((q) => q.sql);
        add("d1.statements", sql.length);
        return (orig.apply(self, args) as Promise<unknown>).then((r) => d1Rows(sql, r));
      });
  }
}

function counted(proto: object, names: string[], key: string) {
  for (const n of names)
    wrap(proto, n, (orig, self, args) => {
      add(key);
      return orig.apply(self, args);
    });
}

function meterKv(proto: object) {
  counted(proto, ["get", "getWithMetadata"], "kv.reads");
  counted(proto, ["put"], "kv.writes");
  counted(proto, ["delete"], "kv.deletes");
  counted(proto, ["list"], "kv.lists");
}

/** R2 Class A: writes and lists; Class B: reads (developers.cloudflare.com/r2/pricing/). */
function meterR2(proto: object) {
  counted(proto, ["put", "list", "createMultipartUpload"], "r2.class_a");
  counted(proto, ["get", "head"], "r2.class_b");
  counted(proto, ["delete"], "r2.deletes"); // free
}

function meterQueue(q: object, binding: string) {
  names.set(q, binding.toLowerCase().replace(/_/g, "-"));
  const proto = Object.getPrototypeOf(q);
  wrap(proto, "send", (orig, self, args) => {
    add(`queue.sent.${nameOf(self)}`);
    return orig.apply(self, args);
  });
  wrap(proto, "sendBatch", (orig, self, args) => {
    add(`queue.sent.${nameOf(self)}`, (args[0] as unknown[]).length);
    return orig.apply(self, args);
  });
}

/** Counts each call through a stub of the namespace (RPC or fetch) and times it, caller side. */
function meterNamespace(ns: object, binding: string) {
  names.set(ns, binding.toLowerCase());
  for (const n of ["get", "getByName"])
    wrap(Object.getPrototypeOf(ns), n, (orig, self, args) =>
      meteredStub(orig.apply(self, args) as object, nameOf(self)),
    );
}

function meteredStub(stub: object, cls: string): object {
  return new Proxy(stub, {
    get(target, prop) {
      const v = Reflect.get(target, prop);
      if (typeof v !== "function") return v;
      // Reflect.apply: an RPC method is a proxy whose own `apply`/`bind` would be remote calls
      if (typeof prop !== "string" || prop === "then")
        return (...args: unknown[]) => Reflect.apply(v, target, args);
      return (...args: unknown[]) => {
        add(`do.${cls}.requests`);
        add(`do.${cls}.requests.${prop}`);
        const t0 = Date.now();
        const done = () => add(`do.${cls}.request_wall_ms`, Date.now() - t0);
        const r = Reflect.apply(v, target, args);
        if (r && typeof (r as Promise<unknown>).then === "function")
          (r as Promise<unknown>).then(done, done);
        return r;
      };
    },
  });
}

/** Websocket messages, closes and alarms reach the object without a stub: counted inside it. */
function meterObjectClass(cls: DoClass) {
  const key = cls.name.replace(/([a-z])([A-Z])/g, "$1_$2").toLowerCase();
  for (const [method, what] of [
    ["webSocketMessage", "ws_messages"],
    ["webSocketClose", "ws_closes"],
    ["alarm", "alarms"],
  ] as const)
    wrap(cls.prototype, method, (orig, self, args) => {
      add(`do.${key}.${what}`);
      const t0 = Date.now();
      const done = () => add(`do.${key}.handler_wall_ms`, Date.now() - t0);
      const r = orig.apply(self, args) as Promise<unknown>;
      r?.then?.(done, done);
      return r;
    });
}

/**
 * Each object's own storage calls (SQLite `exec`, the synchronous KV, transactions, the alarm),
 * counted by class: not billed apart (their time is the object's duration), but locally each one
 * blocks the one thread every isolate shares. The class is known from the `ctx` its constructor
 * gets: a class of our own is put between the object's class and `DurableObject`, which notes
 * whose storage it is.
 */
function meterObjectStorage(cls: DoClass) {
  const key = cls.name.replace(/([a-z])([A-Z])/g, "$1_$2").toLowerCase();
  const base = Object.getPrototypeOf(cls) as new (ctx: DurableObjectState, env: unknown) => object;
  const noting = class extends base {
    constructor(ctx: DurableObjectState, env: unknown) {
      super(ctx, env);
      noteStorage(ctx.storage, key);
    }
  };
  Object.setPrototypeOf(cls, noting);
}

const owners = new WeakMap<object, string>();
const ownerOf = (self: unknown) => owners.get(self as object) ?? "unknown";

function noteStorage(storage: DurableObjectStorage, cls: string) {
  owners.set(storage, cls);
  owners.set(storage.sql, cls);
  owners.set(storage.kv, cls);
  const count = (proto: object, methods: string[], what: string) => {
    for (const m of methods)
      wrap(proto, m, (orig, self, args) => {
        add(`do.${ownerOf(self)}.storage.${what}.${m}`);
        return orig.apply(self, args);
      });
  };
  count(Object.getPrototypeOf(storage), ["transactionSync", "transaction"], "tx");
  count(Object.getPrototypeOf(storage), ["getAlarm", "setAlarm", "deleteAlarm"], "alarm");
  count(Object.getPrototypeOf(storage), ["get", "put", "delete", "list"], "async_kv");
  // the synchronous KV keeps its pairs in a table of the object's SQLite, billed as rows: a row
  // read per `get`, one written per `put` or `delete` (a `list`'s rows are not counted)
  for (const [m, rows] of [
    ["get", "rows_read"],
    ["put", "rows_written"],
    ["delete", "rows_written"],
    ["list", null],
  ] as const)
    wrap(Object.getPrototypeOf(storage.kv), m, (orig, self, args) => {
      add(`do.${ownerOf(self)}.storage.kv.${m}`);
      if (rows) add(`do.${ownerOf(self)}.${rows}`);
      return orig.apply(self, args);
    });
  wrap(Object.getPrototypeOf(storage.sql), "exec", (orig, self, args) => {
    const owner = ownerOf(self);
    add(`do.${owner}.storage.sql.exec`);
    const statement = `do.${owner}.sql.${statementKey(String(args[0]))}`;
    add(statement);
    const cursor = orig.apply(self, args) as SqlStorageCursor<Record<string, SqlStorageValue>>;
    openCursors.push({ owner, statement, cursor });
    return cursor;
  });
}

/**
 * Each SQL cursor's rows read and written (SQLite-backed objects bill them as D1 does), known once
 * it was read to its end: counted when the meter is read, by which time every cursor of a
 * finished call was (an object's code reads its cursors in the same turn).
 */
const openCursors: {
  owner: string;
  statement: string;
  cursor: SqlStorageCursor<Record<string, SqlStorageValue>>;
}[] = [];
function countCursorRows() {
  for (const { owner, statement, cursor } of openCursors.splice(0)) {
    add(`do.${owner}.rows_read`, cursor.rowsRead);
    add(`do.${owner}.rows_written`, cursor.rowsWritten);
    if (cursor.rowsWritten) add(`${statement}.rows_written`, cursor.rowsWritten);
  }
}

/** A statement's counter name: its text, its first 80 characters (never the bound values). */
const statementKeys = new Map<string, string>();
function statementKey(sql: string) {
  let key = statementKeys.get(sql);
  if (key === undefined) {
    // made once per statement text: the meter's own cost stays off each call
    key = sql.replace(/\s+/g, " ").trim().slice(0, 80);
    if (statementKeys.size < 1_000) statementKeys.set(sql, key);
  }
  return key;
}
