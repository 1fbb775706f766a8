import { describe, expect, it } from "vitest";
import { BASE, call, callWithEnv, expectProblem, newTeam } from "../helpers/api.ts";

const MAX_BODY_BYTES = 1_048_576;
const runs = "/api/v1/agent/runs";

describe("problem details (RFC 7807)", () => {
  it("carries every field, the problem content type and the request id", async () => {
    const t = await newTeam();
    const res = await call("GET", `${runs}/00000000-0000-7000-8000-000000000000`, {
      key: t.key,
      headers: { "x-request-id": "req-123" },
    });
    expect(res.status).toBe(404);
    expect(res.headers.get("content-type")).toBe("application/problem+json");
    expect(res.headers.get("x-should-retry")).toBe("false");
    expect(res.headers.get("x-request-id")).toBe("req-123");
    expect(res.json).toEqual({
      type: `${BASE}/docs#error-resource_not_found`,
      title: "Resource not found",
      status: 404,
      detail: expect.stringContaining("00000000-0000-7000-8000-000000000000"),
      instance: `${runs}/00000000-0000-7000-8000-000000000000`,
      error: expect.stringMatching(/^Resource not found \(.+\)$/),
      error_code: "resource_not_found",
      retryable: false,
      trace_id: "req-123",
    });
  });

  it("makes up a trace id when the request has none (or a bad one)", async () => {
    const res = await call("GET", "/api/v1/team", {
      headers: { "x-request-id": "has spaces and <tags>" },
    });
    const problem = expectProblem(res, 401, "authentication_required");
    expect(problem.trace_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.headers.get("x-request-id")).toBe(problem.trace_id);
  });
});

describe("request bodies", () => {
  it("answers 400 invalid_request for malformed JSON", async () => {
    const t = await newTeam();
    const res = await call("POST", runs, {
      key: t.key,
      raw: '{"prompt": "unterminated',
      headers: { "content-type": "application/json" },
    });
    expectProblem(res, 400, "invalid_request");
    expect(res.headers.get("x-should-retry")).toBe("false");
  });

  it("answers 400 naming every field of the wrong type", async () => {
    const t = await newTeam();
    const res = await call("POST", runs, {
      key: t.key,
      body: { prompt: 42, team: "yes", config: { model_id: 5 } },
    });
    const problem = expectProblem(res, 400, "invalid_request");
    const paths = problem.errors.map((e: { path: string }) => e.path);
    expect(paths).toEqual(expect.arrayContaining(["prompt", "team", "config.model_id"]));
    expect(problem.detail).toContain("team");
  });

  it("names query parameters with their location", async () => {
    const t = await newTeam();
    const problem = expectProblem(
      await call("GET", `${runs}?limit=abc`, { key: t.key }),
      400,
      "invalid_request",
    );
    expect(problem.errors.map((e: { path: string }) => e.path)).toEqual(["query.limit"]);
  });

  it("answers 400 for a JSON body sent without a content type, and creates nothing", async () => {
    const t = await newTeam();
    const res = await call("POST", runs, {
      key: t.key,
      raw: JSON.stringify({ prompt: "no content type" }),
    });
    expectProblem(res, 400, "invalid_request");
    expect((await call("GET", runs, { key: t.key })).json.runs).toHaveLength(0);
  });

  it("answers 413 payload_too_large for a body over MAX_BODY_BYTES", async () => {
    const t = await newTeam();
    const res = await call("POST", runs, {
      key: t.key,
      body: { prompt: "x".repeat(MAX_BODY_BYTES + 10) },
    });
    const problem = expectProblem(res, 413, "payload_too_large");
    expect(problem.detail).toContain(String(MAX_BODY_BYTES));
    expect(res.headers.get("x-should-retry")).toBe("false");
    expect((await call("GET", runs, { key: t.key })).json.runs).toHaveLength(0);
  });

  it("answers 413 for a streamed body without a content length", async () => {
    const t = await newTeam();
    const chunk = new TextEncoder().encode("x".repeat(64 * 1024));
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent > MAX_BODY_BYTES + chunk.length) return controller.close();
        sent += chunk.length;
        controller.enqueue(chunk);
      },
    });
    const res = await call("POST", runs, {
      key: t.key,
      raw: stream,
      headers: { "content-type": "application/json" },
    });
    expectProblem(res, 413, "payload_too_large");
  });

  it("answers 413 on signup, which needs no key", async () => {
    const res = await call("POST", "/api/v1/teams", {
      body: { name: "x".repeat(MAX_BODY_BYTES), owner: { email: "big@example.com" } },
    });
    expectProblem(res, 413, "payload_too_large");
  });
});

describe("unknown things", () => {
  it("answers 404 for an unknown route, with or without the API prefix", async () => {
    const t = await newTeam();
    expectProblem(await call("GET", "/api/v1/nope", { key: t.key }), 404, "resource_not_found");
    expectProblem(await call("PUT", runs, { key: t.key, body: {} }), 404, "resource_not_found");
    const outside = expectProblem(await call("GET", "/nope"), 404, "resource_not_found");
    expect(outside.detail).toContain("GET /nope");
  });

  it("answers 404 for an unknown run or task id on every run route", async () => {
    const t = await newTeam();
    for (const [method, path] of [
      ["GET", `${runs}/not-a-run`],
      ["POST", `${runs}/not-a-run/cancel`],
      ["GET", "/api/v1/agent/tasks/not-a-task"],
      ["POST", "/api/v1/agent/tasks/not-a-task/cancel"],
    ]) {
      expectProblem(await call(method, path, { key: t.key }), 404, "resource_not_found");
    }
  });

  it("answers 400 naming the cursor for a cursor that is garbage or from another sort", async () => {
    const t = await newTeam();
    for (let i = 0; i < 3; i++)
      await call("POST", runs, { key: t.key, body: { prompt: `run ${i}` } });
    for (const cursor of [
      "%%%",
      "bm90LWpzb24",
      "WzEsInVwZGF0ZWRfYXQiXQ",
      btoa("[2,1,2,3,4]"),
      "A".repeat(1500),
    ]) {
      const problem = expectProblem(
        await call("GET", `${runs}?cursor=${encodeURIComponent(cursor)}`, { key: t.key }),
        400,
        "invalid_request",
      );
      expect(problem.errors[0].path).toBe("cursor");
    }
    const page = await call("GET", `${runs}?limit=1&sort_by=created_at`, { key: t.key });
    expect(page.json.page_info.next_cursor).toBeTruthy();
    const mismatched = await call("GET", `${runs}?cursor=${page.json.page_info.next_cursor}`, {
      key: t.key,
    });
    expect(expectProblem(mismatched, 400, "invalid_request").detail).toMatch(/sort_by=created_at/);
  });
});

describe("no input is a 500", () => {
  const weirdBodies: unknown[] = [
    [],
    [{ prompt: "in an array" }],
    null,
    "just a string",
    42,
    true,
    {},
    { prompt: null },
    { prompt: "x", metadata: null },
    { prompt: "x", metadata: { "": "empty key" } },
    { prompt: "x", metadata: { k: { nested: true } } },
    { prompt: "x", config: [] },
    { prompt: "x", attachments: [{ mime_type: "image/png", data: "!!!not base64!!!" }] },
    { prompt: "x", parent_run_id: "no-such-run" },
    { prompt: "x", title: 1e308 },
    { prompt: "💥 ünïcödé \u0000 \ud800 lone surrogate", title: "\u202e right-to-left" },
    { prompt: "x", team: null, limit: Number.POSITIVE_INFINITY },
    { name: ["a"], owner: "me", role: "owner", email: 7, expires_in_days: 1e20, user_uid: "" },
    { role: "owner", email: "a@b.c" },
    { name: "k", expires_at: "2026-02-30T00:00:00Z" },
    { name: "k", expires_at: "9999-12-31T23:59:59+14:00" },
    { __proto__: { polluted: true }, constructor: { prototype: { x: 1 } }, prompt: "proto" },
  ];
  const postRoutes = [
    runs,
    "/api/v1/agent/run",
    "/api/v1/teams",
    "/api/v1/team/members",
    "/api/v1/api-keys",
  ];

  it("for weird JSON bodies on every POST route", async () => {
    const t = await newTeam();
    for (const path of postRoutes) {
      for (const body of weirdBodies) {
        const res = await call("POST", path, {
          key: t.key,
          raw: JSON.stringify(body),
          headers: { "content-type": "application/json" },
        });
        expect(
          res.status,
          `${path} ${JSON.stringify(body)}: ${res.text.slice(0, 300)}`,
        ).toBeLessThan(500);
        if (res.status >= 400)
          expect(res.headers.get("content-type")).toBe("application/problem+json");
      }
    }
  });

  it("for weird bodies on PATCH and odd ids on every path parameter", async () => {
    const t = await newTeam();
    const ids = ["%00", "%F0%9F%92%A5", "a".repeat(65), "..%2F..%2Fetc", "'%20OR%201=1--", "null"];
    for (const id of ids) {
      for (const [method, path] of [
        ["GET", `${runs}/${id}`],
        ["POST", `${runs}/${id}/cancel`],
        ["GET", `/api/v1/agent/tasks/${id}`],
        ["PATCH", `/api/v1/team/members/${id}`],
        ["DELETE", `/api/v1/team/members/${id}`],
        ["DELETE", `/api/v1/api-keys/${id}`],
      ]) {
        const res = await call(method, path, {
          key: t.key,
          body: method === "PATCH" ? { role: "viewer" } : undefined,
        });
        expect(res.status, `${method} ${path}: ${res.text.slice(0, 300)}`).toBeLessThan(500);
      }
    }
    for (const body of weirdBodies) {
      const res = await call("PATCH", `/api/v1/team/members/${t.userId}`, { key: t.key, body });
      expect(res.status, `PATCH ${JSON.stringify(body)}: ${res.text.slice(0, 300)}`).toBeLessThan(
        500,
      );
    }
  });

  it("for weird list queries", async () => {
    const t = await newTeam();
    await call("POST", runs, { key: t.key, body: { prompt: "one run", metadata: { k: "v" } } });
    const queries = [
      "limit=abc",
      "limit=0",
      "limit=501",
      "limit=-1",
      "limit=1.5",
      "limit=99999999999999999999999",
      "limit=",
      "state=NOPE",
      "state=QUEUED&state=NOPE",
      "state=",
      "sort_by=prompt",
      "sort_order=sideways",
      "created_after=yesterday",
      "created_before=2026-13-45T99:99:99Z",
      "created_after=2026-02-30T00:00:00Z",
      "created_before=9999-12-31T23:59:59Z",
      "updated_after=0",
      "q=%25%5F%5C",
      "q=%F0%9F%92%A5",
      `q=${"x".repeat(300)}`,
      "metadata[k]=v",
      "metadata[]=v",
      "metadata[a]=1&metadata[b]=2&metadata[c]=3&metadata[d]=4&metadata[e]=5&metadata[f]=6",
      "metadata=oops",
      "artifact_type=PDF",
      "environment_id=empty-environment",
      "source=SPACE",
      "execution_location=MARS",
      "cursor=",
      "cursor=%00",
      "limit=2&limit=3",
      "sort_by=title&sort_order=asc",
      "creator=%27%20OR%201%3D1",
    ];
    for (const q of queries) {
      for (const path of [runs, "/api/v1/agent/tasks"]) {
        const res = await call("GET", `${path}?${q}`, { key: t.key });
        expect(res.status, `${path}?${q}: ${res.text.slice(0, 300)}`).toBeLessThan(500);
        if (res.status >= 400) expect(res.json.error_code).toBe("invalid_request");
      }
    }
  });

  it("for bodies of the wrong content type", async () => {
    const t = await newTeam();
    for (const [type, raw] of [
      ["text/plain", "prompt=hi"],
      ["application/x-www-form-urlencoded", "prompt=hi"],
      [
        "multipart/form-data; boundary=x",
        '--x\r\nContent-Disposition: form-data; name="prompt"\r\n\r\nhi\r\n--x--',
      ],
      ["application/json; charset=utf-8", ""],
      ["application/json", "\u0000\u0001\u0002"],
    ]) {
      const res = await call("POST", runs, { key: t.key, raw, headers: { "content-type": type } });
      expect(res.status, `${type}: ${res.text.slice(0, 300)}`).toBeGreaterThanOrEqual(400);
      expect(res.status, `${type}: ${res.text.slice(0, 300)}`).toBeLessThan(500);
    }
  });
});

describe("server misconfigured", () => {
  it("answers 500 server_misconfigured naming the missing secret, not to be retried", async () => {
    const t = await newTeam();
    const res = await callWithEnv({ JWT_SECRET: undefined }, "GET", "/api/v1/team", { key: t.key });
    const problem = expectProblem(res, 500, "server_misconfigured");
    expect(problem.detail).toContain("JWT_SECRET");
    expect(problem.detail).toContain("wrangler secret put");
    expect(problem.retryable).toBe(false);
    expect(res.headers.get("x-should-retry")).toBe("false");
  });

  it("says so on signup too, and names a too-short secret", async () => {
    const res = await callWithEnv({ SECRETS_KEY: "short" }, "POST", "/api/v1/teams", {
      body: { name: "x", owner: { email: "x@example.com" } },
    });
    const problem = expectProblem(res, 500, "server_misconfigured");
    expect(problem.detail).toContain("SECRETS_KEY");
    expect(problem.detail).not.toContain("JWT_SECRET");
  });

  it("still answers /healthz, which touches no configuration", async () => {
    const res = await callWithEnv({ JWT_SECRET: undefined }, "GET", "/healthz");
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ ok: true });
  });
});
