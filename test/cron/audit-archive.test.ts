import { type AuditEntry, verifyAuditChain } from "@ambit/protocol";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { runHousekeeping } from "../../src/cron/housekeeping.ts";
import { archivedChunks } from "../../src/services/audit/archive.ts";
import { call, newTeam } from "../helpers/api.ts";

const DAY = 86_400_000;

async function exported(key: string): Promise<AuditEntry[]> {
  const res = await call("GET", "/api/v1/audit-log/export", { key });
  expect(res.status, res.text).toBe(200);
  return res.text
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l));
}

const addMember = (key: string) =>
  call("POST", "/api/v1/team/members", {
    key,
    body: { email: `a-${crypto.randomUUID()}@example.com`, role: "viewer" },
  });

describe("audit retention", () => {
  it("moves entries past the team's retention to R2; the export reads them and still verifies", async () => {
    const t = await newTeam();
    const untouched = await newTeam(); // default retention (400 days): nothing of it moves
    for (let i = 0; i < 3; i++) await addMember(t.key);
    const set = await call("PATCH", "/api/v1/team", {
      key: t.key,
      body: { audit_retention_days: 1 },
    });
    expect(set.json.audit_retention_days).toBe(1);
    const before = await exported(t.key); // seq 1..5
    expect(before.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5]);

    const done = await runHousekeeping(env, Date.now() + 2 * DAY);
    expect(done.auditEntriesArchived).toBeGreaterThanOrEqual(4);
    // the head stays in D1 (the next append links to it); the rest is in one R2 chunk
    const listed = await call("GET", "/api/v1/audit-log", { key: t.key });
    expect(listed.json.entries.map((e: AuditEntry) => e.seq)).toEqual([5]);
    const chunks = await archivedChunks(env, t.teamId);
    expect(chunks).toEqual([
      { key: `audit/${t.teamId}/000000000001-000000000004.ndjson`, from: 1, to: 4 },
    ]);
    expect(await exported(t.key)).toEqual(before);

    // the chain goes on across the boundary, and a second archive adds a chunk after the first
    await addMember(t.key);
    await runHousekeeping(env, Date.now() + 2 * DAY);
    const after = await exported(t.key);
    expect(after.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6]);
    expect((await verifyAuditChain(after)).broken).toBeNull();
    expect((await archivedChunks(env, t.teamId)).map((c) => [c.from, c.to])).toEqual([
      [1, 4],
      [5, 5],
    ]);
    expect(await archivedChunks(env, untouched.teamId)).toEqual([]);
  });

  it("an entry edited in an archived chunk is caught by verify", async () => {
    const t = await newTeam();
    await addMember(t.key);
    await addMember(t.key);
    await call("PATCH", "/api/v1/team", { key: t.key, body: { audit_retention_days: 1 } });
    await runHousekeeping(env, Date.now() + 2 * DAY);
    const [chunk] = await archivedChunks(env, t.teamId);
    const text = await (await env.ARTIFACTS.get(chunk!.key))!.text();
    await env.ARTIFACTS.put(chunk!.key, text.replace('"viewer"', '"owner"'));
    const { broken } = await verifyAuditChain(await exported(t.key));
    expect(broken).toMatchObject({ seq: 2 });
  });
});
