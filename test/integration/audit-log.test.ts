import { type AuditEntry, verifyAuditChain } from "@ambit/protocol";
import { Ambit, PermissionDeniedError } from "@ambit/sdk";
import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { recordAudit } from "../../src/db/audit-log.ts";
import { BASE, call, expectProblem, memberKey, newTeam } from "../helpers/api.ts";

const LOG = "/api/v1/audit-log";

async function entries(key: string, query = ""): Promise<AuditEntry[]> {
  const res = await call("GET", `${LOG}${query}`, { key });
  expect(res.status, res.text).toBe(200);
  return res.json.entries;
}

async function exported(key: string): Promise<AuditEntry[]> {
  const res = await call("GET", `${LOG}/export`, { key });
  expect(res.status, res.text).toBe(200);
  expect(res.headers.get("content-type")).toMatch(/^application\/x-ndjson/);
  return res.text
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l));
}

describe("the audit log", () => {
  it("records signup, a member added and their role changed, with actor, target and changes", async () => {
    const t = await newTeam();
    const m = await memberKey(t.key, "viewer");
    const changed = await call("PATCH", `/api/v1/team/members/${m.userId}`, {
      key: t.key,
      body: { role: "member" },
      headers: { "user-agent": "audit-test/1", "x-request-id": "req-audit-1" },
    });
    expect(changed.status, changed.text).toBe(200);
    const log = await entries(t.key);
    expect(log.map((e) => e.action)).toEqual([
      "member.update",
      "api_key.create",
      "api_key.create",
      "member.add",
      "team.create",
    ]);
    expect(log.map((e) => e.seq)).toEqual([5, 4, 3, 2, 1]);
    const [update] = log;
    expect(update).toMatchObject({
      team_id: t.teamId,
      actor: { type: "key", member_id: t.userId, name: expect.stringContaining("owner key") },
      target: { type: "member", id: m.userId },
      changes: { role: { before: "viewer", after: "member" } },
      user_agent: "audit-test/1",
      request_id: "req-audit-1",
    });
    expect(log[4]).toMatchObject({
      action: "team.create",
      actor: { type: "member", id: t.userId },
      target: { type: "team", id: t.teamId },
      prev_hash: "0".repeat(64),
    });
    // the member's own key, minted with the key the owner made for them: acts for the member
    expect(log[1]).toMatchObject({
      actor: { type: "key", member_id: m.userId },
      changes: { holder: { after: m.userId }, role: { after: "viewer" } },
    });
  });

  it("records an idempotent retry once: its replay changed nothing", async () => {
    const t = await newTeam();
    const send = () =>
      call("POST", "/api/v1/agent/environments", {
        key: t.key,
        body: { name: "once" },
        headers: { "idempotency-key": "audit-once" },
      });
    expect((await send()).status).toBe(201);
    const again = await send();
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect((await entries(t.key)).map((e) => e.action)).toEqual([
      "environment.create",
      "team.create",
    ]);
  });

  it("does not record a failed write", async () => {
    const t = await newTeam();
    const bad = await call("PATCH", "/api/v1/team/members/nobody", {
      key: t.key,
      body: { role: "member" },
    });
    expectProblem(bad, 404, "resource_not_found");
    expect((await entries(t.key)).map((e) => e.action)).toEqual(["team.create"]);
  });

  it("filters by action (exact or prefix), actor, target and time, and pages by cursor", async () => {
    const t = await newTeam();
    const m = await memberKey(t.key, "member");
    for (const role of ["viewer", "member", "admin"]) {
      await call("PATCH", `/api/v1/team/members/${m.userId}`, { key: t.key, body: { role } });
    }
    expect(await entries(t.key, "?action=member.update")).toHaveLength(3);
    expect(await entries(t.key, "?action=member.")).toHaveLength(4);
    expect(await entries(t.key, "?action=api_key.")).toHaveLength(2);
    expect(await entries(t.key, "?action=api%key.")).toHaveLength(0);
    expect((await entries(t.key, `?actor=${m.userId}`)).map((e) => e.action)).toEqual([
      "api_key.create",
    ]);
    expect(await entries(t.key, `?target=${m.userId}`)).toHaveLength(4);
    expect(await entries(t.key, "?to=2000-01-01T00:00:00Z")).toHaveLength(0);
    expect(await entries(t.key, "?from=2000-01-01T00:00:00Z")).toHaveLength(7);
    const first = await call("GET", `${LOG}?limit=3`, { key: t.key });
    expect(first.json.entries.map((e: AuditEntry) => e.seq)).toEqual([7, 6, 5]);
    expect(first.json.page_info.has_next_page).toBe(true);
    const cursor = encodeURIComponent(first.json.page_info.next_cursor);
    const second = await call("GET", `${LOG}?limit=3&cursor=${cursor}`, { key: t.key });
    expect(second.json.entries.map((e: AuditEntry) => e.seq)).toEqual([4, 3, 2]);
  });

  it("is for admins: a member and a viewer get 403, and another team's entries are never seen", async () => {
    const a = await newTeam();
    const b = await newTeam();
    const member = await memberKey(a.key, "member");
    const viewer = await memberKey(a.key, "viewer");
    for (const key of [member.key, viewer.key]) {
      expectProblem(await call("GET", LOG, { key }), 403, "not_authorized");
      expectProblem(await call("GET", `${LOG}/export`, { key }), 403, "not_authorized");
    }
    const admin = await memberKey(a.key, "admin");
    const seen = await entries(admin.key, "?limit=200");
    expect(seen.every((e) => e.team_id === a.teamId)).toBe(true);
    expect(await entries(admin.key, `?target=${b.teamId}`)).toEqual([]);
    expect(await entries(admin.key, `?actor=${b.userId}`)).toEqual([]);
    const exportedA = await exported(a.key);
    expect(exportedA.every((e) => e.team_id === a.teamId)).toBe(true);
    expect((await exported(b.key)).map((e) => e.action)).toEqual(["team.create"]);
  });
});

describe("the hash chain", () => {
  it("verifies from the export, and names the first entry edited in D1", async () => {
    const t = await newTeam();
    await memberKey(t.key, "member");
    const before = await exported(t.key);
    expect(before).toHaveLength(4);
    expect((await verifyAuditChain(before)).broken).toBeNull();
    await env.DB.prepare("UPDATE audit_log SET changes = ? WHERE team_id = ? AND seq = 2")
      .bind(JSON.stringify({ role: { after: "owner" } }), t.teamId)
      .run();
    const after = await exported(t.key);
    const { broken } = await verifyAuditChain(after);
    expect(broken).toMatchObject({ seq: 2, id: before[1]!.id });
    expect(broken?.problem).toMatch(/does not match its content/);
  });

  it("names a deleted entry (a gap) and a re-linked forgery", async () => {
    const t = await newTeam();
    await memberKey(t.key, "member");
    const chain = await exported(t.key);
    const gap = await verifyAuditChain([chain[0]!, chain[2]!, chain[3]!]);
    expect(gap.broken).toMatchObject({ seq: 3, problem: expect.stringMatching(/missing/) });
    const forged = { ...chain[1]!, action: "team.update" };
    const relinked = await verifyAuditChain([chain[0]!, forged, chain[2]!]);
    expect(relinked.broken).toMatchObject({ seq: 2 });
  });

  it("parallel appends neither fork nor leave gaps", async () => {
    const t = await newTeam();
    const actor = { type: "platform" as const, id: "platform" };
    const n = 25;
    await Promise.all(
      Array.from({ length: n }, (_, i) =>
        recordAudit(env, {
          teamId: t.teamId,
          actor,
          action: "test.parallel",
          target: { id: `${i}` },
        }),
      ),
    );
    const chain = await exported(t.key);
    expect(chain.map((e) => e.seq)).toEqual(Array.from({ length: n + 1 }, (_, i) => i + 1));
    expect(new Set(chain.map((e) => e.prev_hash)).size).toBe(n + 1);
    expect((await verifyAuditChain(chain)).broken).toBeNull();
  });

  it("links to the team's newest entry when another writer moved the head this isolate knew", async () => {
    const t = await newTeam();
    const actor = { type: "platform" as const, id: "platform" };
    const mine = await recordAudit(env, { teamId: t.teamId, actor, action: "test.known" });
    // another isolate appends two entries; then the archive takes every one but the newest
    const insert = (seq: number, prev: string, hash: string) =>
      env.DB.prepare(
        `INSERT INTO audit_log (id, team_id, seq, at, actor_type, actor_id, action, prev_hash, hash)
         VALUES (?, ?, ?, ?, 'platform', 'platform', 'test.elsewhere', ?, ?)`,
      ).bind(crypto.randomUUID(), t.teamId, seq, Date.now(), prev, hash);
    const [h1, h2] = ["1".repeat(64), "2".repeat(64)];
    await env.DB.batch([
      insert(mine.seq + 1, mine.hash, h1),
      insert(mine.seq + 2, h1, h2),
      env.DB.prepare("DELETE FROM audit_log WHERE team_id = ? AND seq <= ?").bind(
        t.teamId,
        mine.seq + 1,
      ),
    ]);
    const next = await recordAudit(env, { teamId: t.teamId, actor, action: "test.after" });
    expect(next).toMatchObject({ seq: mine.seq + 3, prev_hash: h2 });
  });

  it("parallel writes through the API are all recorded, in one chain", async () => {
    const t = await newTeam();
    const adds = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        call("POST", "/api/v1/team/members", {
          key: t.key,
          body: { email: `p${i}-${crypto.randomUUID()}@example.com`, role: "viewer" },
        }),
      ),
    );
    expect(adds.map((r) => r.status)).toEqual(Array(8).fill(201));
    const chain = await exported(t.key);
    expect(chain.filter((e) => e.action === "member.add")).toHaveLength(8);
    expect((await verifyAuditChain(chain)).broken).toBeNull();
  });
});

describe("client.auditLog (@ambit/sdk)", () => {
  const sdk = (key: string) =>
    new Ambit({
      apiKey: key,
      baseURL: BASE,
      fetch: (input, init) => exports.default.fetch(new Request(input, init)),
    });

  it("lists every page with for await, exports the chain as it streams, refuses a member", async () => {
    const t = await newTeam();
    const m = await memberKey(t.key, "member");
    const client = sdk(t.key);
    const seqs: number[] = [];
    for await (const e of client.auditLog.list({ limit: 2 })) seqs.push(e.seq);
    expect(seqs).toEqual([4, 3, 2, 1]);
    const chain: AuditEntry[] = [];
    for await (const e of client.auditLog.export()) chain.push(e);
    expect(chain.map((e) => e.seq)).toEqual([1, 2, 3, 4]);
    expect((await verifyAuditChain(chain)).broken).toBeNull();
    await expect(sdk(m.key).auditLog.list()).rejects.toBeInstanceOf(PermissionDeniedError);
  });
});
