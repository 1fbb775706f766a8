import { describe, expect, it } from "vitest";
import { call, newTeam } from "../helpers/api.ts";

describe("smoke", () => {
  it("health, signup, create and get a run", async () => {
    expect((await call("GET", "/healthz")).json).toEqual({ ok: true });
    const t = await newTeam();
    const created = await call("POST", "/api/v1/agent/runs", { key: t.key, body: { prompt: "Fix the flaky test\nmore" } });
    expect(created.status, created.text).toBe(200);
    const got = await call("GET", `/api/v1/agent/runs/${created.json.run_id}`, { key: t.key });
    expect(got.status, got.text).toBe(200);
    expect(got.json.title).toBe("Fix the flaky test");
    const list = await call("GET", "/api/v1/agent/runs?state=QUEUED", { key: t.key });
    expect(list.status, list.text).toBe(200);
    expect(list.json.runs).toHaveLength(1);
    const cancel = await call("POST", `/api/v1/agent/runs/${created.json.run_id}/cancel`, { key: t.key });
    expect(cancel.status, cancel.text).toBe(200);
    const doc = await call("GET", "/api/v1/openapi.json");
    expect(doc.status, doc.text.slice(0, 500)).toBe(200);
  });
});
