// Members' own budgets (docs/gateway.md "Budgets"): set, cleared and listed by admins through
// /team/budget/members/{uid}, each member's spend against their budget in GET /team/budget, and
// enforced by the team's ledger exactly like the team's per-member budget; a budget changed
// while a run runs holds its very next model call.
import { describe, expect, it, vi } from "vitest";
import { call, expectProblem, memberKey, newTeam } from "../helpers/api.ts";
import { BUDGET, gw, heldRun, pricedCatalog, SIX_MILLS } from "../helpers/budgets.ts";
import { eventually, TestHost } from "../helpers/hosts.ts";
import { RUNS } from "../helpers/runs.ts";

vi.setConfig({ testTimeout: 30_000 });

const MEMBERS = `${BUDGET}/members`;

/** Spends $0.006 through the gateway and waits until the ledger counted it. */
async function spend(ownerKey: string, token: string, memberId: string, expected: number) {
  const r = await gw("/openai/v1/chat/completions", token, SIX_MILLS.body, SIX_MILLS.turn);
  expect(r.status).toBe(200);
  await r.text();
  await eventually("the call settled", async () => {
    const b = await call("GET", BUDGET, { key: ownerKey });
    const m = b.json.members.find((x: any) => x.member_id === memberId);
    return m?.spent_usd === expected && b.json.spent.reserved_usd === 0 ? b : undefined;
  });
}

describe("members' budgets", () => {
  it("admins set, clear and list them; others see only their own; another team's member is a 404", async () => {
    const t = await newTeam("mbudget");
    const admin = await memberKey(t.key, "admin");
    const member = await memberKey(t.key, "member");
    const viewer = await memberKey(t.key, "viewer");
    const sa = await call("POST", "/api/v1/service-accounts", {
      key: t.key,
      body: { name: "ci", role: "member" },
    });
    expect(sa.status, sa.text).toBe(201);
    await call("PATCH", BUDGET, { key: t.key, body: { member_monthly_usd: 20 } });

    const set = await call("PUT", `${MEMBERS}/${member.userId}`, {
      key: admin.key,
      body: { monthly_usd: 5 },
    });
    expect(set.status, set.text).toBe(200);
    expect(set.json).toMatchObject({
      member_id: member.userId,
      type: "user",
      monthly_usd: 5,
      source: "member",
      spent_usd: 0,
      percent: 0,
    });
    expect(set.json.resets_at).toMatch(/-01T00:00:00\.000Z$/);
    // a service account spends like a member: no monthly budget for it at all
    const none = await call("PUT", `${MEMBERS}/${sa.json.uid}`, {
      key: t.key,
      body: { monthly_usd: null },
    });
    expect(none.json).toMatchObject({ type: "service_account", monthly_usd: null, source: null });

    const all = await call("GET", BUDGET, { key: admin.key });
    const byId = Object.fromEntries(all.json.members.map((m: any) => [m.member_id, m]));
    expect(Object.keys(byId)).toHaveLength(5); // owner, admin, member, viewer, service account
    expect(byId[member.userId]).toMatchObject({ monthly_usd: 5, source: "member" });
    expect(byId[viewer.userId]).toMatchObject({ monthly_usd: 20, source: "team", percent: 0 });
    expect(byId[sa.json.uid]).toMatchObject({ monthly_usd: null, name: "ci", email: null });

    const own = await call("GET", BUDGET, { key: member.key });
    expect(own.json.members).toEqual([byId[member.userId]]);
    const theirs = await call("GET", BUDGET, { key: viewer.key });
    expect(theirs.json.members.map((m: any) => m.member_id)).toEqual([viewer.userId]);

    for (const who of [member, viewer])
      expectProblem(
        await call("PUT", `${MEMBERS}/${who.userId}`, { key: who.key, body: { monthly_usd: 99 } }),
        403,
        "not_authorized",
      );
    expectProblem(
      await call("DELETE", `${MEMBERS}/${member.userId}`, { key: member.key }),
      403,
      "not_authorized",
    );
    for (const body of [{}, { monthly_usd: -1 }, { monthly_usd: "5" }])
      expectProblem(
        await call("PUT", `${MEMBERS}/${member.userId}`, { key: t.key, body }),
        400,
        "invalid_request",
      );
    const other = await newTeam("mbudget-other");
    expectProblem(
      await call("PUT", `${MEMBERS}/${other.userId}`, { key: t.key, body: { monthly_usd: 1 } }),
      404,
      "resource_not_found",
    );
    expectProblem(
      await call("DELETE", `${MEMBERS}/${member.userId}`, { key: other.key }),
      404,
      "resource_not_found",
    );

    const cleared = await call("DELETE", `${MEMBERS}/${member.userId}`, { key: t.key });
    expect(cleared.status, cleared.text).toBe(200);
    expect(cleared.json).toMatchObject({ monthly_usd: 20, source: "team" });
    const log = await call("GET", "/api/v1/audit-log?limit=3", { key: t.key });
    expect(log.json.entries.map((e: any) => [e.action, e.target.id, e.changes])).toEqual([
      [
        "budget.member_clear",
        member.userId,
        { monthly_usd: { before: 5, after: 20 }, source: { before: "member", after: "team" } },
      ],
      [
        "budget.member_set",
        sa.json.uid,
        { monthly_usd: { before: 20, after: null }, source: { before: "team", after: null } },
      ],
      [
        "budget.member_set",
        member.userId,
        { monthly_usd: { before: 20, after: 5 }, source: { before: "team", after: "member" } },
      ],
    ]);
  });

  it("a member's own budget stops their run's next call and their next run; a teammate spends on", async () => {
    const t = await newTeam("mbudget");
    await pricedCatalog(t.key);
    const host = await TestHost.connect(t.key, "warp", { capacity: 4 });
    const member = await memberKey(t.key, "member");
    // everyone $1 a month, this member $0.005 of their own
    await call("PATCH", BUDGET, { key: t.key, body: { member_monthly_usd: 1 } });
    await call("PUT", `${MEMBERS}/${member.userId}`, { key: t.key, body: { monthly_usd: 0.005 } });
    const theirs = await heldRun(member.key, host, {}, t.key);
    const mine = await heldRun(t.key, host);
    await spend(t.key, theirs.token, member.userId, 0.006);

    const refused = await gw("/openai/v1/chat/completions", theirs.token, SIX_MILLS.body);
    expect(refused.status).toBe(403);
    const err = ((await refused.json()) as any).error;
    expect(err.message).toMatch(/this member's own monthly budget of \$0\.0050 is used up/);
    expect(err.message).toContain(`PUT /api/v1/team/budget/members/${member.userId}`);
    const next = await call("POST", RUNS, { key: member.key, body: { prompt: "more" } });
    expect(expectProblem(next, 403, "budget_exceeded")).toMatchObject({
      budget: "member",
      member_id: member.userId,
      limit_usd: 0.005,
    });
    const row = (await call("GET", BUDGET, { key: t.key })).json.members.find(
      (m: any) => m.member_id === member.userId,
    );
    expect(row).toMatchObject({ monthly_usd: 0.005, spent_usd: 0.006, percent: 120 });

    // the owner's runs spend from the team's $1 default
    const ok = await gw("/openai/v1/chat/completions", mine.token, SIX_MILLS.body, SIX_MILLS.turn);
    expect(ok.status).toBe(200);
    await ok.text();
    // cleared, the member is back under the team's $1: their next run may start
    await call("DELETE", `${MEMBERS}/${member.userId}`, { key: t.key });
    const again = await call("POST", RUNS, { key: member.key, body: { prompt: "more" } });
    expect(again.status, again.text).toBe(200);
  });

  it("a budget lowered under a running run's spend refuses its very next model call", async () => {
    const t = await newTeam("mbudget");
    await pricedCatalog(t.key);
    const host = await TestHost.connect(t.key, "warp", { capacity: 4 });
    await call("PATCH", BUDGET, { key: t.key, body: { monthly_usd: 10 } });
    const run = await heldRun(t.key, host);
    const me = (await call("GET", BUDGET, { key: t.key })).json.members[0].member_id;
    await spend(t.key, run.token, me, 0.006); // the gateway now knows this run's upstream
    // the team's budget, lowered under the $0.006 spent: the next call is refused at once
    await call("PATCH", BUDGET, { key: t.key, body: { monthly_usd: 0.005 } });
    const refused = await gw("/openai/v1/chat/completions", run.token, SIX_MILLS.body);
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as any).error.message).toMatch(/team's monthly budget/);
  });

  it("a member's own budget set under a running run's spend refuses its very next model call", async () => {
    const t = await newTeam("mbudget");
    await pricedCatalog(t.key);
    const host = await TestHost.connect(t.key, "warp", { capacity: 4 });
    const run = await heldRun(t.key, host);
    const me = (await call("GET", BUDGET, { key: t.key })).json.members[0].member_id;
    await spend(t.key, run.token, me, 0.006); // no budget at all so far
    await call("PUT", `${MEMBERS}/${me}`, { key: t.key, body: { monthly_usd: 0.005 } });
    const refused = await gw("/openai/v1/chat/completions", run.token, SIX_MILLS.body);
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as any).error.message).toMatch(/member's own monthly budget/);
  });
});
