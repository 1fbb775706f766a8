// Finding 5: `POST /api-keys {user_uid}` let an admin mint a key acting as any member, owners
// included: it read their personal runs, used their personal secrets, claimed their LOCAL runs and
// removed an owner through the "leave" path; admins could also revoke owners' keys.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { eq } from "drizzle-orm";
import { buildAssignment } from "../../durable-objects/host-pool/assignment.ts";
import { createDb } from "../../src/db/client.ts";
import { schedules } from "../../src/db/schema.ts";
import { scheduleActor } from "../../src/services/schedules/schedule-actor.ts";
import { call, expectProblem, type Json, memberKey, newTeam } from "../helpers/api.ts";
import { createSchedule } from "../helpers/schedules.ts";
import { createRun, RUNS } from "../helpers/runs.ts";

const KEYS = "/api/v1/api-keys";
const SECRETS = "/api/v1/agent/secrets";

/** A key an admin mints for `userUid` (asserting 201). */
async function mintFor(adminKey: string, userUid: string): Promise<Json> {
  const res = await call("POST", KEYS, {
    key: adminKey,
    body: { name: "for you", user_uid: userUid },
  });
  expect(res.status, res.text).toBe(201);
  return res.json;
}

/** A team with an admin, and a member who keeps a personal secret and a personal run with their own key. */
async function memberWithPersonalThings() {
  const t = await newTeam();
  const admin = await memberKey(t.key, "admin");
  const member = await memberKey(t.key, "member");
  const secret = await call("POST", SECRETS, {
    key: member.key,
    body: { name: "MY_TOKEN", value: "member-private-value", scope: "personal" },
  });
  expect(secret.status, secret.text).toBe(201);
  const personalRun = await createRun(member.key, { prompt: "mine only", team: false });
  return { t, admin, member, personalRun };
}

describe("an admin cannot act as an owner, nor reach a member's personal resources", () => {
  it("an admin cannot mint a key for an owner (403), and the owner's key count is unchanged", async () => {
    const t = await newTeam();
    const admin = await memberKey(t.key, "admin");
    const before = (await call("GET", KEYS, { key: t.key })).json.api_keys.length;
    expectProblem(
      await call("POST", KEYS, { key: admin.key, body: { name: "as owner", user_uid: t.userId } }),
      403,
      "not_authorized",
    );
    expect((await call("GET", KEYS, { key: t.key })).json.api_keys).toHaveLength(before);
  });

  it("an admin cannot revoke an owner's key", async () => {
    const t = await newTeam();
    const admin = await memberKey(t.key, "admin");
    const ownerKey = (await call("GET", KEYS, { key: t.key })).json.api_keys.find(
      (k: Json) => k.principal.uid === t.userId,
    );
    expectProblem(
      await call("DELETE", `${KEYS}/${ownerKey.uid}`, { key: admin.key }),
      403,
      "not_authorized",
    );
    expect((await call("GET", "/api/v1/team", { key: t.key })).status).toBe(200);
  });

  it("an admin-minted key for a member cannot read the member's personal run", async () => {
    const { admin, member, personalRun } = await memberWithPersonalThings();
    expect((await call("GET", `${RUNS}/${personalRun}`, { key: member.key })).status).toBe(200);
    const delegated = await mintFor(admin.key, member.userId);
    expectProblem(
      await call("GET", `${RUNS}/${personalRun}`, { key: delegated.key }),
      404,
      "resource_not_found",
    );
    const listed = (await call("GET", RUNS, { key: delegated.key })).json.runs.map(
      (r: Json) => r.run_id,
    );
    expect(listed).not.toContain(personalRun);
    expectProblem(
      await call("POST", `${RUNS}/${personalRun}/session-token`, { key: delegated.key }),
      404,
      "resource_not_found",
    );
  });

  it("an admin-minted key for a member cannot list, write or use the member's personal secrets", async () => {
    const { admin, member, t } = await memberWithPersonalThings();
    const delegated = await mintFor(admin.key, member.userId);
    const listed = (await call("GET", SECRETS, { key: delegated.key })).json.secrets.map(
      (s: Json) => s.name,
    );
    expect(listed).not.toContain("MY_TOKEN");
    expectProblem(
      await call("PUT", `${SECRETS}/MY_TOKEN?scope=personal`, {
        key: delegated.key,
        body: { value: "planted" },
      }),
      403,
      "not_authorized",
    );
    expectProblem(
      await call("POST", SECRETS, {
        key: delegated.key,
        body: { name: "PLANTED", value: "x", scope: "personal" },
      }),
      403,
      "not_authorized",
    );
    // a run it starts as the member gets the team's secrets, never the member's personal ones
    const runId = await createRun(delegated.key, { prompt: "print env" });
    const built = await buildAssignment(env, {
      runId,
      teamId: t.teamId,
      executionId: 1,
      holder: { actor: { type: "host", id: "h" }, maxRunTimeSeconds: 3600 },
      startedBy: { type: "user", id: member.userId },
    });
    expect(built.ok).toBe(true);
    if (built.ok)
      expect(JSON.stringify(built.assignment.secrets)).not.toContain("member-private-value");
  });

  it("an admin-minted key for a member cannot claim the member's LOCAL run", async () => {
    const { admin, member } = await memberWithPersonalThings();
    const runId = await createRun(
      member.key,
      { prompt: "here", execution_location: "LOCAL" },
      { "x-oz-api-source": "CLI" },
    );
    const delegated = await mintFor(admin.key, member.userId);
    const claim = await call("POST", `${RUNS}/${runId}/local/claim`, { key: delegated.key });
    expect(claim.text).not.toContain("member-private-value");
    expectProblem(claim, 403, "not_authorized");
    // the member's own key still claims it
    expect((await call("POST", `${RUNS}/${runId}/local/claim`, { key: member.key })).status).toBe(
      200,
    );
  });

  it("an admin-minted key for a member cannot see the member's personal schedule", async () => {
    const { admin, member } = await memberWithPersonalThings();
    const mine = await createSchedule(member.key, { name: "mine", team: false });
    const delegated = await mintFor(admin.key, member.userId);
    expectProblem(
      await call("GET", `/api/v1/agent/schedules/${mine.id}`, { key: delegated.key }),
      404,
      "resource_not_found",
    );
  });

  it("a team schedule rewritten through a key an admin minted for its owner starts runs without the owner's personal secrets", async () => {
    const { admin, member } = await memberWithPersonalThings();
    const s = await createSchedule(member.key, { name: "nightly" });
    const actor = async () => {
      const [row] = await createDb(env.DB).select().from(schedules).where(eq(schedules.id, s.id));
      return scheduleActor(createDb(env.DB), row);
    };
    expect(await actor()).toMatchObject({ id: member.userId, personal: true });
    const body = {
      name: "nightly",
      cron_schedule: "* * * * *",
      enabled: true,
      prompt: "print env",
    };
    // the admin's own rewrite runs as the admin (the last editor), never as the member
    expect(
      (await call("PUT", `/api/v1/agent/schedules/${s.id}`, { key: admin.key, body })).status,
    ).toBe(200);
    expect(await actor()).toMatchObject({ id: admin.userId, personal: true });
    // a rewrite through a key the admin minted for the member runs as the member, without their personal access
    const delegated = await mintFor(admin.key, member.userId);
    expect(
      (
        await call("PUT", `/api/v1/agent/schedules/${s.id}`, {
          key: delegated.key,
          body: { ...body, prompt: "exfiltrate" },
        })
      ).status,
    ).toBe(200);
    expect(await actor()).toMatchObject({ id: member.userId, personal: false });
    // the member saving it again, with their own key, gives it back
    expect(
      (
        await call("PUT", `/api/v1/agent/schedules/${s.id}`, {
          key: member.key,
          body: { ...body, prompt: "triage" },
        })
      ).status,
    ).toBe(200);
    expect(await actor()).toMatchObject({ id: member.userId, personal: true });
  });

  it("an admin-minted key for a member cannot take the member's 'leave' path", async () => {
    const { t, admin, member } = await memberWithPersonalThings();
    const delegated = await mintFor(admin.key, member.userId);
    expectProblem(
      await call("DELETE", `/api/v1/team/members/${member.userId}`, { key: delegated.key }),
      403,
      "not_authorized",
    );
    const members = (await call("GET", "/api/v1/team/members", { key: t.key })).json.members.map(
      (m: Json) => m.uid,
    );
    expect(members).toContain(member.userId);
    // the member's own key leaves
    expect(
      (await call("DELETE", `/api/v1/team/members/${member.userId}`, { key: member.key })).status,
    ).toBe(204);
  });

  it("removing a member deletes their personal secrets, so whoever takes the key of the member added again finds none", async () => {
    const { t, admin, member } = await memberWithPersonalThings();
    expect(
      (await call("DELETE", `/api/v1/team/members/${member.userId}`, { key: admin.key })).status,
    ).toBe(204);
    const left = await env.DB.prepare(
      "SELECT count(*) AS n FROM secrets WHERE team_id = ? AND owner_id = ?",
    )
      .bind(t.teamId, member.userId)
      .first<{ n: number }>();
    expect(left!.n).toBe(0);
  });

  it("an admin-minted key cannot turn itself into the member's personal key", async () => {
    const { admin, member, personalRun } = await memberWithPersonalThings();
    const delegated = await mintFor(admin.key, member.userId);
    // the member already has a personal key: minting one for themselves from a handed-over key is refused
    const res = await call("POST", KEYS, { key: delegated.key, body: { name: "mine now" } });
    expect(res.status, res.text).not.toBe(201);
    if (res.json?.key)
      expectProblem(
        await call("GET", `${RUNS}/${personalRun}`, { key: res.json.key }),
        404,
        "resource_not_found",
      );
  });
});
