// `ambit audit …` (the built CLI) against a real `wrangler dev`: list, export, and verify, which
// re-computes the hash chain on this side and, after a row is edited in D1 directly, names it.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildCli } from "../../packages/cli/scripts/build.ts";
import { localD1 } from "../../scripts/lib/bootstrap.ts";
import { runCli } from "./cli-run.ts";
import { api, type E2eServer, type Json, startE2eServer } from "./helpers.ts";

let s: E2eServer;
let bin: string;

beforeAll(async () => {
  [bin, s] = await Promise.all([buildCli(), startE2eServer({ teamName: "cli-audit" })]);
});
afterAll(async () => {
  await s?.stop();
});

const ambit = (args: string[]) =>
  runCli(bin, args, { env: { AMBIT_BASE_URL: s.url, AMBIT_API_KEY: s.key } });

describe("ambit audit", () => {
  it("list → export → verify; an entry edited in D1 is named and verify exits 20", async () => {
    const added = await api(s.url, "POST", "/api/v1/team/members", {
      key: s.key,
      body: { email: `e2e-${crypto.randomUUID()}@example.com`, role: "viewer" },
    });
    expect(added.status).toBe(201);
    const listed = await ambit(["audit", "list", "--json"]);
    expect(listed.code, listed.stderr).toBe(0);
    const entries = (JSON.parse(listed.stdout) as Json).entries as Json[];
    expect(entries.map((e) => e.action)).toEqual(["member.add", "team.create"]);
    expect((await ambit(["audit", "list"])).stdout).toMatch(/member\.add/);

    const exported = await ambit(["audit", "export"]);
    expect(exported.code, exported.stderr).toBe(0);
    expect(exported.stdout.trim().split("\n")).toHaveLength(2);
    const ok = await ambit(["audit", "verify"]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/^OK: 2 entries verified/);

    await localD1(
      `UPDATE audit_log SET changes = '{"role":{"after":"owner"}}' WHERE team_id = '${s.team.uid}' AND seq = 2;`,
      s.stateDir,
    );
    const broken = await ambit(["audit", "verify"]);
    expect(broken.code).toBe(20);
    expect(broken.stderr).toContain(`Broken at seq 2 (entry ${entries[0]!.id})`);
    expect(broken.stderr).toMatch(/does not match its content/);
    const json = await ambit(["audit", "verify", "--json"]);
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: false, broken: { seq: 2 } });
  });
});
