import { Validator } from "@cfworker/json-schema";
import { env } from "cloudflare:workers";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { fillPath, type Operation, operationsOf } from "../helpers/fuzz/operations.ts";
import { invalid, type Schema, valid } from "../helpers/fuzz/schema-arbitrary.ts";
import { call, type Json, newTeam } from "../helpers/api.ts";
import { receiverEndpoint } from "../helpers/webhooks.ts";

/**
 * The API fuzzer: every operation of the OpenAPI document, called with generated inputs — valid ones
 * (built from the operation's own schemas) and invalid ones (one thing wrong, or any JSON, or not
 * JSON) — against the real Worker. The promises: no answer is a 5xx; every 4xx is an RFC 7807
 * problem with an `error_code`; every 2xx JSON body validates against the operation's response
 * schema. The seed is fixed so CI is repeatable; `FUZZ_SEED=<n>` and `FUZZ_RUNS=<n>` in the
 * environment of `npx vitest` (vitest.config.ts passes them in) explore further, and a failure prints the seed and the shrunk request to replay.
 */

const knobs = env as unknown as { FUZZ_SEED?: string; FUZZ_RUNS?: string };
const SEED = Number(knobs.FUZZ_SEED || 20261207);
const RUNS = Number(knobs.FUZZ_RUNS || 12);

/** Answers that are not problems on purpose, each with its reason. */
const NOT_PROBLEMS: { method: string; path: string; status: number; why: string }[] = [
  {
    method: "POST",
    path: "/integrations/{uid}/events",
    status: 401,
    why: "a bad signature gets an empty 401: nothing for a forger to learn",
  },
];

type Fixtures = Record<string, string>;

/** Resources of a fresh team that path parameters may name (besides random strings). */
async function fixtures(key: string): Promise<Fixtures> {
  const made: Fixtures = {};
  const create = async (name: string, method: string, path: string, body: Json, pick: string) => {
    const res = await call(method, `/api/v1${path}`, { key, body });
    expect(res.status, `fixture ${name}: ${res.text}`).toBeLessThan(300);
    made[name] = String(res.json?.[pick] ?? body[pick]);
  };
  const receiver = await receiverEndpoint();
  await create("run", "POST", "/agent/runs", { prompt: "fuzz" }, "run_id");
  await create(
    "member",
    "POST",
    "/team/members",
    { email: `m-${crypto.randomUUID()}@example.com`, role: "member" },
    "uid",
  );
  await create("apiKey", "POST", "/api-keys", { name: "spare" }, "uid");
  await create(
    "schedule",
    "POST",
    "/agent/schedules",
    { name: "s", cron_schedule: "0 * * * *", prompt: "p" },
    "id",
  );
  await create("integration", "POST", "/integrations", { type: "webhook", name: "in" }, "uid");
  await create("secret", "POST", "/agent/secrets", { name: "FUZZ_SECRET", value: "v" }, "name");
  await create("envVar", "PUT", "/agent/env-vars/FUZZ_VAR", { value: "1" }, "name");
  await create("environment", "POST", "/agent/environments", { name: "env" }, "uid");
  await create("rule", "POST", "/agent/rules", { name: "r", content: "c" }, "uid");
  await create("prompt", "POST", "/agent/prompts", { name: "p", prompt: "do it" }, "uid");
  await create(
    "mcp",
    "POST",
    "/agent/mcp-servers",
    { name: "m", config: { command: "echo" } },
    "uid",
  );
  await create("identity", "POST", "/agent/identities", { name: "bot" }, "uid");
  await create(
    "model",
    "POST",
    "/agent/models",
    { id: "fuzz-model", provider: "openai", model: "gpt-x" },
    "id",
  );
  await create(
    "webhook",
    "POST",
    "/webhooks",
    { url: receiver.url, event_types: ["run.completed"] },
    "uid",
  );
  made.envVar = "FUZZ_VAR";
  made.receiverUrl = receiver.url;
  return made;
}

/** Which fixture a path's first parameter names. */
const FIXTURE_OF: [RegExp, string][] = [
  [/^\/team\/members\//, "member"],
  [/^\/api-keys\//, "apiKey"],
  [/^\/agent\/(runs|tasks)\//, "run"],
  [/^\/agent\/schedules\//, "schedule"],
  [/^\/integrations\//, "integration"],
  [/^\/agent\/secrets\//, "secret"],
  [/^\/agent\/env-vars\//, "envVar"],
  [/^\/agent\/environments\//, "environment"],
  [/^\/agent\/rules\//, "rule"],
  [/^\/agent\/prompts\//, "prompt"],
  [/^\/agent\/mcp-servers\//, "mcp"],
  [/^\/agent\/identities\//, "identity"],
  [/^\/agent\/models\//, "model"],
  [/^\/webhooks\//, "webhook"],
];

const randomSegment = fc.oneof(
  fc.string({ minLength: 1, maxLength: 40 }),
  fc.string({ unit: "grapheme", minLength: 1, maxLength: 20 }),
  fc.constantFrom("0", "-1", "..", "%00", "null", "x".repeat(300)),
);

function pathArb(op: Operation, fx: Fixtures): fc.Arbitrary<string> {
  const first = FIXTURE_OF.find(([re]) => re.test(op.path))?.[1];
  const values = op.pathParams.map((_, i) =>
    i === 0 && first && fx[first]
      ? fc.oneof(
          { weight: 3, arbitrary: fc.constant(fx[first]) },
          { weight: 1, arbitrary: randomSegment },
        )
      : randomSegment,
  );
  return fc
    .tuple(...values)
    .map((vs) => fillPath(op.path, Object.fromEntries(op.pathParams.map((p, i) => [p, vs[i]]))));
}

/** A query or header value as a client sends it: arrays repeat the parameter, null leaves it out. */
const asParams = (name: string, v: unknown): [string, string][] =>
  v === null || v === undefined
    ? []
    : Array.isArray(v)
      ? v.flatMap((item) => asParams(name, item))
      : [[name, typeof v === "string" ? v : JSON.stringify(v)]];

function paramsArb(
  params: Operation["query"],
  mode: "valid" | "invalid",
): fc.Arbitrary<[string, string][]> {
  const each = params.map((p) => {
    const value = mode === "valid" ? valid(p.schema) : fc.oneof(valid(p.schema), invalid(p.schema));
    const present = value.map((v) => asParams(p.name, v));
    return p.required && mode === "valid" ? present : fc.oneof(fc.constant([]), present);
  });
  return fc.tuple(...each).map((lists) => lists.flat());
}

type Sent = {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: string | Uint8Array;
};

function requestArb(op: Operation, fx: Fixtures, mode: "valid" | "invalid"): fc.Arbitrary<Sent> {
  const body: fc.Arbitrary<string | Uint8Array | undefined> = !op.body
    ? fc.constant(undefined)
    : op.body.type === "application/json"
      ? mode === "valid"
        ? valid(op.body.schema ?? {}).map((v) => JSON.stringify(withFixtures(op, v, fx)))
        : fc.oneof(
            { weight: 4, arbitrary: invalid(op.body.schema ?? {}).map((v) => JSON.stringify(v)) },
            { weight: 1, arbitrary: fc.jsonValue().map((v) => JSON.stringify(v)) },
            { weight: 1, arbitrary: fc.constantFrom("", "{", "[1,", "nul", '{"a":}', "\u0000") },
          )
      : fc.uint8Array({ maxLength: 256 });
  return fc
    .record({
      path: pathArb(op, fx),
      query: paramsArb(op.query, mode),
      headers: paramsArb(op.headers, mode),
      body,
    })
    .map(({ path, query, headers, body }) => {
      const search = new URLSearchParams(query).toString();
      const h: Record<string, string> = {
        accept: "application/json",
        ...Object.fromEntries(headers),
      };
      if (body !== undefined) h["content-type"] = op.body?.type ?? "application/json";
      return {
        method: op.method,
        url: `/api/v1${path}${search ? `?${search}` : ""}`,
        headers: h,
        body,
      };
    });
}

/** Valid bodies that would reach out of the sandbox are pointed at the tests' receiver. */
function withFixtures(op: Operation, value: unknown, fx: Fixtures): unknown {
  if (op.path.startsWith("/webhooks") && value && typeof value === "object" && "url" in value)
    return { ...value, url: fx.receiverUrl };
  return value;
}

const validators = new Map<Schema, Validator>();
const validatorOf = (schema: Schema) => {
  let v = validators.get(schema);
  if (!v) validators.set(schema, (v = new Validator(schema as object, "2020-12", false)));
  return v;
};

function check(op: Operation, sent: Sent, res: Awaited<ReturnType<typeof call>>) {
  const what = `${sent.method} ${sent.url} ${typeof sent.body === "string" ? sent.body.slice(0, 400) : ""}\n→ ${res.status} ${res.text.slice(0, 600)}`;
  expect(res.status, `no 5xx: ${what}`).toBeLessThan(500);
  if (res.status >= 400) {
    const excused = NOT_PROBLEMS.some(
      (e) => e.method === op.method && e.path === op.path && e.status === res.status,
    );
    if (excused) return;
    expect(res.headers.get("content-type") ?? "", `4xx is problem+json: ${what}`).toMatch(
      /^application\/problem\+json/,
    );
    expect(typeof res.json?.error_code, `4xx names an error_code: ${what}`).toBe("string");
    expect(res.json?.status, `problem status matches: ${what}`).toBe(res.status);
  } else if (res.status >= 200 && res.status < 300) {
    const schema = op.responses[String(res.status)];
    const json = (res.headers.get("content-type") ?? "").startsWith("application/json");
    if (!schema || !json) return;
    const result = validatorOf(schema).validate(res.json);
    const errors = result.errors.map((e) => `${e.instanceLocation}: ${e.error}`).slice(0, 5);
    expect(errors, `2xx body matches the response schema: ${what}`).toEqual([]);
  }
}

const statuses: Record<string, Record<number, number>> = {};

const doc = (await call("GET", "/api/v1/openapi.json")).json;
const operations = operationsOf(doc);

describe("the API under generated input (OpenAPI-driven)", () => {
  it("covers every operation of the document", () => {
    expect(operations.length).toBeGreaterThan(100);
  });

  /**
   * A fuzzer that only ever reaches a 401 (a broken key) or a 400 (a broken generator) would pass
   * the checks above: most operations must have answered a generated valid request with a 2xx.
   */
  afterAll(() => {
    const ops = operations.map((op) => `${op.method} ${op.path}`);
    const reached = ops.filter((name) =>
      Object.keys(statuses[`${name} valid`] ?? {}).some((s) => s.startsWith("2")),
    );
    expect(
      reached.length / ops.length,
      `operations reached: ${reached.length}/${ops.length}`,
    ).toBeGreaterThan(0.6);
  });

  it.each(operations.map((op) => [`${op.method} ${op.path}`, op] as const))(
    "%s",
    { timeout: 120_000 },
    async (_name, op) => {
      const team = await newTeam("fuzz");
      const fx = await fixtures(team.key);
      for (const mode of ["valid", "invalid"] as const) {
        await fc.assert(
          fc.asyncProperty(requestArb(op, fx, mode), async (sent) => {
            const res = await call(sent.method, sent.url, {
              key: team.key,
              headers: sent.headers,
              raw: sent.body as BodyInit | undefined,
            });
            check(op, sent, res);
            const tally = (statuses[`${op.method} ${op.path} ${mode}`] ??= {});
            tally[res.status] = (tally[res.status] ?? 0) + 1;
          }),
          { numRuns: RUNS, seed: SEED },
        );
      }
    },
  );
});
