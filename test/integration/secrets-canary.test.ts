// A secret value may reach exactly one place: the host's task_assignment (a model key not even
// that: the model gateway uses it for the run). This test plants canary
// values through every secret interface, drives runs through creation, assignment, failure and
// errors, then scans every response, D1 table, KV entry, event log and console line for them.
import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { sha256Hex } from "../../src/lib/hash.ts";
import { call, memberKey, newTeam } from "../helpers/api.ts";
import { TestHost, untilRun } from "../helpers/hosts.ts";
import { createRun, eventsOf, RUNS } from "../helpers/runs.ts";

const A = "/api/v1/agent";
const CANARY = `CANARY-${crypto.randomUUID()}`;
const canary = (n: number) => `${CANARY}-${n}`;

let logged: string[] = [];
beforeEach(() => {
  logged = [];
  for (const level of ["log", "info", "warn", "error", "debug"] as const) {
    vi.spyOn(console, level).mockImplementation((...args: unknown[]) => {
      logged.push(
        args.map((a) => (typeof a === "string" ? a : (JSON.stringify(a) ?? String(a)))).join(" "),
      );
    });
  }
});
afterEach(() => vi.restoreAllMocks());

async function d1Dump(): Promise<string> {
  const { results: tables } = await env.DB.prepare(
    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\\_cf%' ESCAPE '\\' AND name NOT LIKE 'sqlite%'",
  ).all<{ name: string }>();
  const dumps = await Promise.all(
    tables.map(async (t) =>
      JSON.stringify((await env.DB.prepare(`SELECT * FROM "${t.name}"`).all()).results),
    ),
  );
  return dumps.join("\n");
}

async function kvDump(): Promise<string> {
  const out: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await env.CONFIG.list({ cursor });
    for (const k of page.keys) out.push(k.name, (await env.CONFIG.get(k.name)) ?? "");
    cursor = page.list_complete ? undefined : page.cursor;
  } while (cursor);
  return out.join("\n");
}

describe("secret values never leave through any interface but the assignment", () => {
  it("canary scan: responses, errors, D1, KV, events and logs", async () => {
    const t = await newTeam("canary");
    const member = await memberKey(t.key, "member");
    const responses: string[] = [];
    const record = async (p: ReturnType<typeof call>) => {
      const r = await p;
      responses.push(r.text, JSON.stringify([...r.headers]));
      return r;
    };

    // every way a value goes in, including refused ones
    const firstBody = { name: "TEAM_TOKEN", value: canary(1), description: "team" };
    await record(
      call("POST", `${A}/secrets`, {
        key: t.key,
        body: firstBody,
        headers: { "idempotency-key": "create-team-token" },
      }),
    );
    // the idempotency record holds no guessable digest of a body that carries a value
    const plainDigest = await sha256Hex(`POST ${A}/secrets\n${JSON.stringify(firstBody)}`);
    await record(
      call("POST", `${A}/secrets`, {
        key: member.key,
        body: { name: "MY_TOKEN", value: canary(2), scope: "personal" },
      }),
    );
    await record(
      call("PUT", `${A}/secrets/TEAM_TOKEN`, { key: t.key, body: { value: canary(3) } }),
    );
    await record(
      call("POST", `${A}/secrets`, { key: t.key, body: { name: "TEAM_TOKEN", value: canary(4) } }),
    ); // 409
    await record(
      call("POST", `${A}/secrets`, { key: t.key, body: { name: "bad-name", value: canary(5) } }),
    ); // 400
    await record(
      call("POST", `${A}/secrets`, {
        key: t.key,
        body: { name: "TOO_BIG", value: `${canary(6)}${"x".repeat(70_000)}` },
      }),
    ); // 400
    await record(
      call("POST", `${A}/secrets`, {
        key: member.key,
        body: { name: "NOT_ALLOWED", value: canary(7) },
      }),
    ); // 403
    await record(call("PUT", `${A}/secrets/NOPE`, { key: t.key, body: { value: canary(8) } })); // 404
    await record(
      call("POST", `${A}/secrets`, {
        key: t.key,
        raw: `{"name":"X","value":"${canary(9)}"`,
        headers: { "content-type": "application/json" },
      }),
    ); // bad JSON
    await record(
      call("POST", `${A}/models`, {
        key: t.key,
        body: {
          id: "m",
          provider: "openai",
          model: "x",
          api_key_secret: "TEAM_TOKEN",
          default: true,
        },
      }),
    );

    // runs through their life: created, assigned (the one place values go), failed
    const host = await TestHost.connect(t.key, "warp", { capacity: 2 });
    const runId = await createRun(member.key, { prompt: "Use the tokens" });
    const assignment = await host.assignmentOf(runId);
    // the scan can find it
    expect(assignment.secrets.map((s) => s.value).sort()).toEqual([canary(2)]);
    // TEAM_TOKEN is the catalog model's key: the model gateway holds it, the host never sees it
    expect(JSON.stringify(assignment)).not.toContain(canary(3));
    host.claim(runId);
    host.start(runId);
    await untilRun(member.key, runId, (r) => r.state === "INPROGRESS", "INPROGRESS");
    host.fail(runId, { message: "the harness crashed" });
    await untilRun(member.key, runId, (r) => r.state === "FAILED", "FAILED");
    host.close();

    // a secret that no longer opens: the run ends ERROR and the platform logs it (by name only)
    const broken = await newTeam("canary");
    await record(
      call("POST", `${A}/secrets`, {
        key: broken.key,
        body: { name: "BROKEN", value: canary(10) },
      }),
    );
    await env.DB.prepare("UPDATE secrets SET ciphertext = ? WHERE team_id = ?")
      .bind(`${btoa("x".repeat(12))}.${btoa("y".repeat(40))}`, broken.teamId)
      .run();
    const brokenHost = await TestHost.connect(broken.key, "warp");
    const brokenRun = await createRun(broken.key, { prompt: "x" });
    await untilRun(broken.key, brokenRun, (r) => r.state === "ERROR", "ERROR");
    brokenHost.close();
    await record(call("GET", `${RUNS}/${brokenRun}`, { key: broken.key }));
    expect(logged.join("\n")).toContain("BROKEN");

    // every read the API offers
    for (const path of [
      `${A}/secrets`,
      `${A}/models`,
      `${A}/environments`,
      `${RUNS}`,
      `${RUNS}/${runId}`,
      `${RUNS}/${runId}/timeline`,
      `${RUNS}/${runId}/conversation`,
      `${RUNS}/${runId}/transcript`,
      "/api/v1/agent",
    ]) {
      await record(call("GET", path, { key: t.key }));
      await record(call("GET", path, { key: member.key }));
    }

    const events = JSON.stringify(await eventsOf({ runId, teamId: t.teamId }));
    expect(
      (await d1Dump()).includes(plainDigest),
      "an unkeyed digest of a secret-carrying body is in D1",
    ).toBe(false);
    expect(
      await env.DB.prepare("SELECT COUNT(*) AS n FROM idempotency_keys WHERE scope LIKE ?")
        .bind(`${t.teamId}/%`)
        .first("n"),
    ).toBe(1);
    const places = {
      responses: responses.join("\n"),
      d1: await d1Dump(),
      kv: await kvDump(),
      events,
      logs: logged.join("\n"),
    };
    for (const [where, text] of Object.entries(places)) {
      expect(text.length, `${where} was scanned`).toBeGreaterThan(0);
      expect(text.includes(CANARY), `a canary value leaked into ${where}`).toBe(false);
    }
  });
});
