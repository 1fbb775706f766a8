import { describe, expect, it } from "vitest";
import { call, expectProblem, type Json, memberKey, newTeam } from "../helpers/api.ts";

const SAS = "/api/v1/service-accounts";
const RUNS = "/api/v1/agent/runs";
const KEYS = "/api/v1/api-keys";
const IDS = "/api/v1/agent/identities";

async function newAccount(key: string, body: Json = {}) {
  const res = await call("POST", SAS, { key, body: { name: "ci", ...body } });
  expect(res.status, res.text).toBe(201);
  return res.json as Json;
}

async function keyFor(ownerKey: string, body: Json) {
  const res = await call("POST", KEYS, { key: ownerKey, body: { name: "k", ...body } });
  expect(res.status, res.text).toBe(201);
  return res.json as Json;
}

describe("service accounts", () => {
  it("admins create, list, update and delete them; members may not", async () => {
    const t = await newTeam();
    const member = await memberKey(t.key, "member");
    expectProblem(
      await call("POST", SAS, { key: member.key, body: { name: "x" } }),
      403,
      "not_authorized",
    );
    const sa = await newAccount(t.key, { description: "GitHub Actions" });
    expect(sa).toMatchObject({
      type: "service_account",
      name: "ci",
      role: "member",
      description: "GitHub Actions",
      created_by: t.userId,
    });
    expectProblem(await call("POST", SAS, { key: t.key, body: { name: "ci" } }), 409, "conflict");
    expect((await call("GET", SAS, { key: t.key })).json.service_accounts).toHaveLength(1);
    const members = (await call("GET", "/api/v1/team/members", { key: t.key })).json.members;
    expect(members.map((m: Json) => m.type)).toEqual(["user", "user", "service_account"]);
    expect(members[2]).toMatchObject({ uid: sa.uid, display_name: "ci", email: "" });
    const renamed = await call("PATCH", `${SAS}/${sa.uid}`, { key: t.key, body: { name: "ci-2" } });
    expect(renamed.json.name).toBe("ci-2");
    const k = await keyFor(t.key, { service_account_uid: sa.uid });
    expect((await call("GET", RUNS, { key: k.key })).status).toBe(200);
    expect((await call("DELETE", `${SAS}/${sa.uid}`, { key: t.key })).status).toBe(204);
    expectProblem(await call("GET", RUNS, { key: k.key }), 401, "authentication_required");
    // another team's account is not found
    const other = await newTeam();
    const theirs = await newAccount(other.key);
    expectProblem(
      await call("DELETE", `${SAS}/${theirs.uid}`, { key: t.key }),
      404,
      "resource_not_found",
    );
  });

  it("a service account's run shows it as its creator, as a service account", async () => {
    const t = await newTeam();
    const sa = await newAccount(t.key);
    const k = await keyFor(t.key, { service_account_uid: sa.uid });
    expect(k.principal).toEqual({ type: "service_account", uid: sa.uid });
    const run = await call("POST", RUNS, { key: k.key, body: { prompt: "build" } });
    expect(run.status, run.text).toBe(200);
    const item = (await call("GET", `${RUNS}/${run.json.run_id}`, { key: t.key })).json;
    expect(item.creator).toMatchObject({ type: "service_account", uid: sa.uid });
    const caller = (await call("GET", "/api/v1/team", { key: k.key })).json.caller;
    expect(caller).toEqual({ uid: sa.uid, type: "service_account", role: "member" });
  });

  it("its keys never exceed its role: at mint, and after its role is lowered", async () => {
    const t = await newTeam();
    const sa = await newAccount(t.key, { role: "member" });
    expectProblem(
      await call("POST", KEYS, {
        key: t.key,
        body: { name: "k", service_account_uid: sa.uid, role: "admin" },
      }),
      403,
      "not_authorized",
    );
    const k = await keyFor(t.key, { service_account_uid: sa.uid });
    expect(k.role).toBe("member");
    expect((await call("POST", RUNS, { key: k.key, body: { prompt: "x" } })).status).toBe(200);
    await call("PATCH", `${SAS}/${sa.uid}`, { key: t.key, body: { role: "viewer" } });
    expectProblem(
      await call("POST", RUNS, { key: k.key, body: { prompt: "x" } }),
      403,
      "not_authorized",
    );
    const caller = (await call("GET", "/api/v1/team", { key: k.key })).json.caller;
    expect(caller.role).toBe("viewer");
    // an admin may not create an account above their role
    const admin = await memberKey(t.key, "admin");
    expectProblem(
      await call("POST", SAS, { key: admin.key, body: { name: "o", role: "owner" } }),
      400,
      "invalid_request",
    );
  });
});

describe("keys bound to a named agent", () => {
  async function agentKey(t: { key: string }, settings: Json = {}) {
    const agent = (await call("POST", IDS, { key: t.key, body: { name: "bot", ...settings } }))
      .json;
    const key = await keyFor(t.key, { agent_uid: agent.uid });
    expect(key.agent_uid).toBe(agent.uid);
    return { agent, key: key.key as string };
  }

  it("runs made with it run as the agent", async () => {
    const t = await newTeam();
    const { agent, key } = await agentKey(t, { prompt: "You are the bot." });
    const run = await call("POST", RUNS, { key, body: { prompt: "go" } });
    expect(run.status, run.text).toBe(200);
    const item = (await call("GET", `${RUNS}/${run.json.run_id}`, { key: t.key })).json;
    expect(item.executor).toEqual({ type: "service_account", uid: agent.uid });
    expect(item.creator).toMatchObject({ type: "service_account", uid: agent.uid });
    expect(item.agent_config).toMatchObject({
      agent_identity_uid: agent.uid,
      base_prompt: "You are the bot.",
    });
    // it may not run as another agent
    const other = (await call("POST", IDS, { key: t.key, body: { name: "other" } })).json;
    expectProblem(
      await call("POST", RUNS, { key, body: { prompt: "go", agent_identity_uid: other.uid } }),
      403,
      "not_authorized",
    );
    const listed = (await call("GET", KEYS, { key: t.key })).json.api_keys as Json[];
    expect(listed.find((k) => k.agent_uid === agent.uid)).toBeTruthy();
  });

  it("on_behalf_of: allowed for an agent that allows it, for a member; refused otherwise", async () => {
    const t = await newTeam();
    const member = await memberKey(t.key, "member");
    const closed = await agentKey(t);
    expectProblem(
      await call("POST", RUNS, {
        key: closed.key,
        body: { prompt: "p", on_behalf_of: member.email },
      }),
      403,
      "not_authorized",
    );
    const open = await agentKey(t, { name: "helper", on_behalf_of_enabled: true });
    const run = await call("POST", RUNS, {
      key: open.key,
      body: { prompt: "p", on_behalf_of: member.email },
    });
    expect(run.status, run.text).toBe(200);
    const item = (await call("GET", `${RUNS}/${run.json.run_id}`, { key: t.key })).json;
    expect(item.creator).toMatchObject({ type: "user", uid: member.userId });
    expect(item.executor).toEqual({ type: "service_account", uid: open.agent.uid });
    // by user id too; a stranger or a personal run is refused
    const byId = await call("POST", RUNS, {
      key: open.key,
      body: { prompt: "p", on_behalf_of: member.userId },
    });
    expect(byId.status, byId.text).toBe(200);
    expectProblem(
      await call("POST", RUNS, {
        key: open.key,
        body: { prompt: "p", on_behalf_of: "nobody@example.com" },
      }),
      403,
      "not_authorized",
    );
    expectProblem(
      await call("POST", RUNS, {
        key: open.key,
        body: { prompt: "p", on_behalf_of: member.email, team: false },
      }),
      400,
      "invalid_request",
    );
    // a person's key may not use it at all
    expectProblem(
      await call("POST", RUNS, {
        key: member.key,
        body: { prompt: "p", on_behalf_of: member.email },
      }),
      403,
      "not_authorized",
    );
  });
});
