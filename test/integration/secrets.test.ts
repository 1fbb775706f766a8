import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { runHousekeeping } from "../../src/cron/housekeeping.ts";
import { keyId, openDataKey, openValue } from "../../src/lib/envelope.ts";
import { call, callWithEnv, expectProblem, memberKey, newTeam } from "../helpers/api.ts";

const SECRETS = "/api/v1/agent/secrets";
const ROTATED_KEY = "rotated-platform-key-0123456789abcdefghijkl";

const secretRow = (teamId: string, name: string, scope = "team", ownerId = "") =>
  env.DB.prepare(
    "SELECT * FROM secrets WHERE team_id = ? AND scope = ? AND owner_id = ? AND name = ?",
  )
    .bind(teamId, scope, ownerId, name)
    .first<Record<string, any>>();
const teamKeyRow = (teamId: string) =>
  env.DB.prepare("SELECT wrapped_key AS wrappedKey, kid FROM team_keys WHERE team_id = ?")
    .bind(teamId)
    .first<{ wrappedKey: string; kid: string }>();

/** Opens a stored secret straight from D1 with the given platform keys (what assignment does). */
async function openStored(
  teamId: string,
  name: string,
  keys: { current: string; previous?: string },
  scope = "team",
  ownerId = "",
) {
  const { key } = await openDataKey(keys, teamId, (await teamKeyRow(teamId))!);
  return openValue(
    key,
    { teamId, scope: scope as "team", ownerId, name },
    (await secretRow(teamId, name, scope, ownerId))!.ciphertext,
  );
}

describe("secrets", () => {
  it("creates, lists, updates and deletes a team secret; the value never comes back", async () => {
    const t = await newTeam("secrets");
    const created = await call("POST", SECRETS, {
      key: t.key,
      body: {
        name: "GITHUB_TOKEN",
        value: "ghp_value_1",
        description: "CI token",
        type: "raw_value",
      },
    });
    expect(created.status, created.text).toBe(201);
    expect(created.json).toEqual({
      name: "GITHUB_TOKEN",
      description: "CI token",
      type: "raw_value",
      scope: { type: "Team", uid: t.teamId },
      created_at: expect.any(String),
      updated_at: expect.any(String),
      created_by: t.userId,
    });
    expect(created.text).not.toContain("ghp_value_1");
    const row = (await secretRow(t.teamId, "GITHUB_TOKEN"))!;
    expect(row.ciphertext).not.toContain("ghp_value_1");
    expect(await openStored(t.teamId, "GITHUB_TOKEN", { current: env.SECRETS_KEY })).toBe(
      "ghp_value_1",
    );

    const listed = await call("GET", SECRETS, { key: t.key });
    expect(listed.json.secrets.map((s: any) => s.name)).toEqual(["GITHUB_TOKEN"]);

    const updated = await call("PUT", `${SECRETS}/GITHUB_TOKEN?scope=team`, {
      key: t.key,
      body: { value: "ghp_value_2", type: "openai_api_key" },
    });
    expect(updated.status, updated.text).toBe(200);
    expect(updated.json).toMatchObject({
      name: "GITHUB_TOKEN",
      type: "openai_api_key",
      description: "CI token",
    });
    expect(await openStored(t.teamId, "GITHUB_TOKEN", { current: env.SECRETS_KEY })).toBe(
      "ghp_value_2",
    );

    expect((await call("DELETE", `${SECRETS}/GITHUB_TOKEN`, { key: t.key })).status).toBe(204);
    expect((await call("GET", SECRETS, { key: t.key })).json.secrets).toEqual([]);
    expectProblem(
      await call("DELETE", `${SECRETS}/GITHUB_TOKEN`, { key: t.key }),
      404,
      "resource_not_found",
    );
  });

  it("validates names, types and duplicates", async () => {
    const t = await newTeam("secrets");
    const bad = expectProblem(
      await call("POST", SECRETS, { key: t.key, body: { name: "1BAD-NAME", value: "x" } }),
      400,
      "invalid_request",
    );
    expect(bad.errors[0].path).toBe("name");
    expect(
      expectProblem(
        await call("POST", SECRETS, { key: t.key, body: { name: "OK", value: "x", type: "nope" } }),
        400,
        "invalid_request",
      ).errors[0].path,
    ).toBe("type");
    expect(
      expectProblem(
        await call("POST", SECRETS, { key: t.key, body: { name: "OK" } }),
        400,
        "invalid_request",
      ).errors[0].path,
    ).toBe("value");
    await call("POST", SECRETS, { key: t.key, body: { name: "DUP", value: "x" } });
    const dup = await call("POST", SECRETS, { key: t.key, body: { name: "DUP", value: "y" } });
    expect(expectProblem(dup, 409, "conflict").detail).toMatch(
      /PUT \/api\/v1\/agent\/secrets\/DUP\?scope=team/,
    );
    expect(dup.headers.get("x-should-retry")).toBe("false");
    expectProblem(
      await call("PUT", `${SECRETS}/DUP?scope=everyone`, { key: t.key, body: {} }),
      400,
      "invalid_request",
    );
  });

  it("team secrets need admin; members keep personal secrets that only they see", async () => {
    const t = await newTeam("secrets");
    const member = await memberKey(t.key, "member");
    const viewer = await memberKey(t.key, "viewer");
    expectProblem(
      await call("POST", SECRETS, { key: member.key, body: { name: "TEAM_ONE", value: "x" } }),
      403,
      "not_authorized",
    );
    expectProblem(
      await call("POST", SECRETS, {
        key: viewer.key,
        body: { name: "MINE", value: "x", scope: "personal" },
      }),
      403,
      "not_authorized",
    );
    await call("POST", SECRETS, { key: t.key, body: { name: "TEAM_ONE", value: "x" } });
    expectProblem(
      await call("PUT", `${SECRETS}/TEAM_ONE`, { key: member.key, body: { value: "y" } }),
      403,
      "not_authorized",
    );
    expectProblem(
      await call("DELETE", `${SECRETS}/TEAM_ONE`, { key: member.key }),
      403,
      "not_authorized",
    );

    const mine = await call("POST", SECRETS, {
      key: member.key,
      body: { name: "MY_TOKEN", value: "personal-value", scope: "personal" },
    });
    expect(mine.status, mine.text).toBe(201);
    expect(mine.json.scope).toEqual({ type: "User", uid: member.userId });
    // the owner may name their own personal secret the same: scopes are separate
    expect(
      (
        await call("POST", SECRETS, {
          key: t.key,
          body: { name: "MY_TOKEN", value: "owner-value", scope: "personal" },
        })
      ).status,
    ).toBe(201);

    const asMember = (await call("GET", SECRETS, { key: member.key })).json.secrets.map(
      (s: any) => `${s.scope.type}:${s.name}`,
    );
    expect(asMember).toEqual(["Team:TEAM_ONE", "User:MY_TOKEN"]);
    const asViewer = (await call("GET", SECRETS, { key: viewer.key })).json.secrets.map(
      (s: any) => s.name,
    );
    expect(asViewer).toEqual(["TEAM_ONE"]);
    // another user's personal secret is simply not there
    expectProblem(
      await call("DELETE", `${SECRETS}/MY_TOKEN?scope=personal`, {
        key: (await memberKey(t.key, "member")).key,
      }),
      404,
      "resource_not_found",
    );
    expect(
      await openStored(
        t.teamId,
        "MY_TOKEN",
        { current: env.SECRETS_KEY },
        "personal",
        member.userId,
      ),
    ).toBe("personal-value");
    expect(
      await openStored(t.teamId, "MY_TOKEN", { current: env.SECRETS_KEY }, "personal", t.userId),
    ).toBe("owner-value");
  });

  it("another team's secrets are not found", async () => {
    const a = await newTeam("secrets");
    const b = await newTeam("secrets");
    await call("POST", SECRETS, { key: a.key, body: { name: "ONLY_A", value: "x" } });
    expect((await call("GET", SECRETS, { key: b.key })).json.secrets).toEqual([]);
    expectProblem(
      await call("PUT", `${SECRETS}/ONLY_A`, { key: b.key, body: { value: "y" } }),
      404,
      "resource_not_found",
    );
    expectProblem(
      await call("DELETE", `${SECRETS}/ONLY_A`, { key: b.key }),
      404,
      "resource_not_found",
    );
  });

  it("a ciphertext moved to another name or team does not open", async () => {
    const t = await newTeam("secrets");
    await call("POST", SECRETS, { key: t.key, body: { name: "REAL", value: "the-value" } });
    await call("POST", SECRETS, { key: t.key, body: { name: "DECOY", value: "other" } });
    const real = (await secretRow(t.teamId, "REAL"))!;
    await env.DB.prepare("UPDATE secrets SET ciphertext = ? WHERE team_id = ? AND name = 'DECOY'")
      .bind(real.ciphertext, t.teamId)
      .run();
    await expect(openStored(t.teamId, "DECOY", { current: env.SECRETS_KEY })).rejects.toThrow(
      /does not open/,
    );
  });

  it("rotation: after SECRETS_KEY changes, values still open through SECRETS_KEY_PREVIOUS, and the admin endpoint rewraps", async () => {
    const t = await newTeam("secrets");
    await call("POST", SECRETS, {
      key: t.key,
      body: { name: "KEEP_ME", value: "survives-rotation" },
    });
    const before = (await teamKeyRow(t.teamId))!;
    expect(before.kid).toBe(await keyId(env.SECRETS_KEY));
    const rotated = { SECRETS_KEY: ROTATED_KEY, SECRETS_KEY_PREVIOUS: env.SECRETS_KEY };

    // without the previous key the old wrapping cannot open
    await expect(openStored(t.teamId, "KEEP_ME", { current: ROTATED_KEY })).rejects.toThrow(
      /neither SECRETS_KEY nor SECRETS_KEY_PREVIOUS/,
    );
    expect(
      await openStored(t.teamId, "KEEP_ME", { current: ROTATED_KEY, previous: env.SECRETS_KEY }),
    ).toBe("survives-rotation");

    const member = await memberKey(t.key, "member");
    expectProblem(
      await callWithEnv(rotated, "POST", `${SECRETS}/rotate`, { key: member.key }),
      403,
      "not_authorized",
    );
    const res = await callWithEnv(rotated, "POST", `${SECRETS}/rotate`, { key: t.key });
    expect(res.status, res.text).toBe(200);
    expect(res.json).toEqual({ rewrapped: true, key_id: await keyId(ROTATED_KEY) });
    const after = (await teamKeyRow(t.teamId))!;
    expect(after.kid).toBe(await keyId(ROTATED_KEY));
    expect(await openStored(t.teamId, "KEEP_ME", { current: ROTATED_KEY })).toBe(
      "survives-rotation",
    );
    expect(
      (await callWithEnv(rotated, "POST", `${SECRETS}/rotate`, { key: t.key })).json.rewrapped,
    ).toBe(false);
  });

  it("rotation: the every-minute cron rewraps every team still on the previous key", async () => {
    const a = await newTeam("secrets");
    const b = await newTeam("secrets");
    await call("POST", SECRETS, { key: a.key, body: { name: "A_SECRET", value: "a-value" } });
    await call("POST", SECRETS, { key: b.key, body: { name: "B_SECRET", value: "b-value" } });
    // without a previous key there is nothing to do
    expect((await runHousekeeping(env, Date.now())).teamKeysRewrapped).toBe(0);
    const rotated = {
      ...env,
      SECRETS_KEY: ROTATED_KEY,
      SECRETS_KEY_PREVIOUS: env.SECRETS_KEY,
    } as Env;
    const first = await runHousekeeping(rotated, Date.now());
    expect(first.teamKeysRewrapped).toBeGreaterThanOrEqual(2);
    expect(await runHousekeeping(rotated, Date.now())).toMatchObject({ teamKeysRewrapped: 0 });
    for (const [t, name, value] of [
      [a, "A_SECRET", "a-value"],
      [b, "B_SECRET", "b-value"],
    ] as const) {
      expect((await teamKeyRow(t.teamId))!.kid).toBe(await keyId(ROTATED_KEY));
      expect(await openStored(t.teamId, name, { current: ROTATED_KEY })).toBe(value);
    }
    // put every team back under the test key (storage is per test, but be a good neighbour)
    await runHousekeeping(
      { ...env, SECRETS_KEY: env.SECRETS_KEY, SECRETS_KEY_PREVIOUS: ROTATED_KEY } as Env,
      Date.now(),
    );
    expect((await teamKeyRow(a.teamId))!.kid).toBe(await keyId(env.SECRETS_KEY));
  });

  it("rotation happens lazily on the next secret write", async () => {
    const t = await newTeam("secrets");
    await call("POST", SECRETS, { key: t.key, body: { name: "FIRST", value: "one" } });
    const rotated = { SECRETS_KEY: ROTATED_KEY, SECRETS_KEY_PREVIOUS: env.SECRETS_KEY };
    expect(
      (
        await callWithEnv(rotated, "POST", SECRETS, {
          key: t.key,
          body: { name: "SECOND", value: "two" },
        })
      ).status,
    ).toBe(201);
    expect((await teamKeyRow(t.teamId))!.kid).toBe(await keyId(ROTATED_KEY));
    expect(await openStored(t.teamId, "FIRST", { current: ROTATED_KEY })).toBe("one");
    expect(await openStored(t.teamId, "SECOND", { current: ROTATED_KEY })).toBe("two");
  });
});
