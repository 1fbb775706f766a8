// Finding 10: free-form JSON (unknown keys of agent_config, event payloads, maps of strings) had no
// bound on depth or size: a 9,000-deep agent_config answered 500 (stack overflow). Every free-form
// field is now checked by one helper (`boundedJson`, @ambit/protocol), iteratively, and refused
// with 400 invalid_request naming the field and the limit.
import { capPayload, EventInput, jsonBoundsExceeded } from "@ambit/protocol";
import { describe, expect, it } from "vitest";
import { call, expectProblem, type Json, newTeam } from "../helpers/api.ts";
import { RUNS, createRun } from "../helpers/runs.ts";
import { attach } from "../helpers/sockets.ts";
import { createSchedule, SCHEDULES } from "../helpers/schedules.ts";

/** `{ k: { k: … "leaf" } }`, `depth` objects deep. */
function nested(depth: number): Json {
  let v: unknown = "leaf";
  for (let i = 0; i < depth; i++) v = { k: v };
  return v as Json;
}

const refusedFor = (res: Awaited<ReturnType<typeof call>>, path: string, what: RegExp) => {
  const body = expectProblem(res, 400, "invalid_request");
  expect(body.errors.map((e: Json) => e.path)).toContain(path);
  expect(body.errors.find((e: Json) => e.path === path).message).toMatch(what);
  return body;
};

describe("free-form JSON fields are bounded in depth and size", () => {
  it("a 9,000-deep agent_config on POST /agent/runs is a 400 naming the field and the depth limit, not a 500", async () => {
    const t = await newTeam();
    const res = await call("POST", RUNS, {
      key: t.key,
      body: { prompt: "p", config: { extra: nested(9_000) } },
    });
    refusedFor(res, "config", /nested more than 32 levels/);
  });

  it("a body nested 400,000 deep (within the body limit) is still a 400: parsing is not where it breaks", async () => {
    const t = await newTeam();
    const raw = `{"prompt":"p","config":{"x":${"[".repeat(400_000)}${"]".repeat(400_000)}}}`;
    const res = await call("POST", RUNS, {
      key: t.key,
      raw,
      headers: { "content-type": "application/json" },
    });
    refusedFor(res, "config", /32 levels/);
  });

  it("depth just over the limit is refused; ordinary nesting is kept as given", async () => {
    const t = await newTeam();
    refusedFor(
      await call("POST", RUNS, {
        key: t.key,
        body: { prompt: "p", config: { extra: nested(40) } },
      }),
      "config",
      /32 levels/,
    );
    const ok = await call("POST", RUNS, {
      key: t.key,
      body: { prompt: "p", config: { extra: nested(10) } },
    });
    expect(ok.status, ok.text).toBe(200);
    const run = await call("GET", `${RUNS}/${ok.json.run_id}`, { key: t.key });
    expect(run.json.agent_config.extra).toEqual(nested(10));
  });

  it("an agent_config over the size limit is refused, naming the limit", async () => {
    const t = await newTeam();
    const res = await call("POST", RUNS, {
      key: t.key,
      body: { prompt: "p", config: { blob: "x".repeat(600 * 1024) } },
    });
    refusedFor(res, "config", /larger than 512 KiB/);
  });

  it("schedules: agent_config on create and on replace", async () => {
    const t = await newTeam();
    const create = await call("POST", SCHEDULES, {
      key: t.key,
      body: {
        name: "n",
        cron_schedule: "0 9 * * *",
        prompt: "p",
        agent_config: { x: nested(9_000) },
      },
    });
    refusedFor(create, "agent_config", /32 levels/);
    const s = await createSchedule(t.key);
    const put = await call("PUT", `${SCHEDULES}/${s.id}`, {
      key: t.key,
      body: {
        name: "n",
        cron_schedule: "0 9 * * *",
        enabled: true,
        prompt: "p",
        agent_config: { harness: { x: nested(100) } },
      },
    });
    refusedFor(put, "agent_config", /32 levels/);
  });

  it("maps of strings are bounded in size: MCP server headers, external reference metadata", async () => {
    const t = await newTeam();
    const headers = Object.fromEntries(
      Array.from({ length: 3_000 }, (_, i) => [`h${i}`, "v".repeat(100)]),
    );
    const res = await call("POST", RUNS, {
      key: t.key,
      body: {
        prompt: "p",
        config: { mcp_servers: { big: { url: "https://mcp.example.com", headers } } },
      },
    });
    expectProblem(res, 400, "invalid_request");
    expect(res.json.errors.map((e: Json) => e.path).join(" ")).toMatch(/headers|config/);
    const id = await createRun(t.key);
    const metadata = Object.fromEntries(
      Array.from({ length: 2_000 }, (_, i) => [`k${i}`, "v".repeat(200)]),
    );
    const artifact = await call("POST", `${RUNS}/${id}/artifacts`, {
      key: t.key,
      body: {
        artifact_type: "EXTERNAL_REFERENCE",
        data: { reference_type: "doc", url: "https://example.com/doc", metadata },
      },
    });
    refusedFor(artifact, "data.metadata", /larger than/);
  });

  it("a host event with a 9,000-deep payload is refused by the session, which keeps working", async () => {
    const t = await newTeam();
    const id = await createRun(
      t.key,
      { prompt: "Fix it here", execution_location: "LOCAL" },
      { "x-oz-api-source": "CLI" },
    );
    const c = await call("POST", `${RUNS}/${id}/local/claim`, { key: t.key });
    expect(c.status, c.text).toBe(200);
    const host = await attach(id, { token: c.json.assignment.session.token });
    host.send({
      type: "append",
      ref: "deep",
      events: [
        {
          host_seq: 1,
          type: "agent.tool_call",
          payload: { call_id: "c", name: "n", input: nested(9_000) },
        },
      ],
    });
    const ack = await host.nth("ack", 1);
    expect(ack.refused).toEqual([
      { host_seq: 1, reason: expect.stringMatching(/payload.*32 levels/) },
    ]);
    host.send({
      type: "append",
      ref: "ok",
      events: [{ host_seq: 2, type: "agent.message", payload: { text: "still here" } }],
    });
    const next = await host.nth("ack", 2);
    expect(next.seqs).toHaveLength(1);
  });

  it("capPayload (which the runner applies to its own events) cuts what is nested too deep instead of recursing into it", () => {
    const { value, truncated } = capPayload({ call_id: "c", name: "n", input: nested(9_000) });
    expect(truncated).toBe(true);
    expect(jsonBoundsExceeded(value, { maxDepth: 32, maxBytes: 1 << 20 })).toBeNull();
    expect(EventInput.safeParse({ type: "agent.tool_call", payload: value }).success).toBe(true);
  });

  it("the bounds check itself stops at the bound: no recursion, no walk of the rest", () => {
    const wide = Array.from({ length: 100_000 }, (_, i) => ({ i }));
    expect(jsonBoundsExceeded(nested(1_000_000), { maxDepth: 32, maxBytes: 1 << 20 })).toMatch(
      /32 levels/,
    );
    expect(jsonBoundsExceeded(wide, { maxDepth: 32, maxBytes: 1024 })).toMatch(/1 KiB/);
  });
});
