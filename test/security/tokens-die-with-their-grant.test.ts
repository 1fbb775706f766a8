// Finding 6, the class (issue 22): every token the platform mints is checked, at each use, against
// what it grants now, not by signature and expiry alone. An attach token and an artifact download
// link die with the API key they were minted through (revoked, or its user removed) and with their
// holder's sight of the run. Before the fix both kept working until they expired.
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { BASE, call, expectProblem, newTeam } from "../helpers/api.ts";
import { sleep, TestHost } from "../helpers/hosts.ts";
import { advance, createRun, RUNS } from "../helpers/runs.ts";
import { attachRequest, tokenFor } from "../helpers/sockets.ts";

type Team = Awaited<ReturnType<typeof newTeam>>;

async function memberWithKey(t: Team, role: "admin" | "member" | "viewer") {
  const added = await call("POST", "/api/v1/team/members", {
    key: t.key,
    body: { email: `${role}-${crypto.randomUUID()}@example.com`, role },
  });
  expect(added.status, added.text).toBe(201);
  const minted = await call("POST", "/api/v1/api-keys", {
    key: t.key,
    body: { name: "k", user_uid: added.json.uid },
  });
  expect(minted.status, minted.text).toBe(201);
  return {
    userId: added.json.uid as string,
    key: minted.json.key as string,
    keyUid: minted.json.uid as string,
  };
}

/** A run of the team with one file artifact; answers the run and the artifact's uid. */
async function runWithFile(t: Team) {
  const runId = await createRun(t.key, { prompt: "p" });
  await advance({ runId, teamId: t.teamId }, "dispatch", "claim", "start");
  const host = await tokenFor({ runId, teamId: t.teamId }, "HOST");
  const up = await call("POST", `${RUNS}/${runId}/artifacts/files?filename=a.txt`, {
    raw: "contents",
    headers: { authorization: `Bearer ${host}`, "content-type": "text/plain" },
  });
  expect(up.status, up.text).toBe(201);
  return { runId, uid: up.json.artifact_uid as string };
}

async function downloadLink(uid: string, key: string) {
  const res = await exports.default.fetch(
    new Request(`${BASE}/api/v1/agent/artifacts/${uid}/download`, {
      headers: { authorization: `Bearer ${key}` },
      redirect: "manual",
    }),
  );
  expect(res.status).toBe(302);
  return res.headers.get("location")!;
}

const fetchLink = async (url: string) => {
  const res = await exports.default.fetch(new Request(url));
  return { status: res.status, text: await res.text() };
};

describe("tokens die with what granted them", () => {
  it("an artifact download link stops working once the key that got it is revoked", async () => {
    const t = await newTeam("link-key");
    const { uid } = await runWithFile(t);
    const viewer = await memberWithKey(t, "viewer");
    const link = await downloadLink(uid, viewer.key);
    expect(await fetchLink(link)).toEqual({ status: 200, text: "contents" });
    expect(
      (await call("DELETE", `/api/v1/api-keys/${viewer.keyUid}`, { key: t.key })).status,
    ).toBeLessThan(300);
    expect((await fetchLink(link)).status).toBe(401);
  });

  it("an artifact download link stops working once its holder left the team", async () => {
    const t = await newTeam("link-member");
    const { uid } = await runWithFile(t);
    const viewer = await memberWithKey(t, "viewer");
    const link = await downloadLink(uid, viewer.key);
    expect(
      (await call("DELETE", `/api/v1/team/members/${viewer.userId}`, { key: t.key })).status,
    ).toBeLessThan(300);
    expect((await fetchLink(link)).status).toBe(401);
  });

  it("an attach token stops attaching once the key it was minted with is revoked", async () => {
    const t = await newTeam("attach-key");
    const runId = await createRun(t.key, { prompt: "p" });
    const m = await memberWithKey(t, "member");
    const minted = await call("POST", `${RUNS}/${runId}/session-token`, { key: m.key });
    expect(minted.status, minted.text).toBe(200);
    const { token } = minted.json;
    expect(
      (await call("GET", `${RUNS}/${runId}/events?token=${encodeURIComponent(token)}`)).status,
    ).toBe(200);
    expect(
      (await call("DELETE", `/api/v1/api-keys/${m.keyUid}`, { key: t.key })).status,
    ).toBeLessThan(300);
    expectProblem(
      await call("GET", `${RUNS}/${runId}/events?token=${encodeURIComponent(token)}`),
      401,
      "authentication_required",
    );
    expect((await attachRequest(runId, { token })).status).toBe(401);
  });

  it("a host connected with an admin's key is given no run once that key is revoked, or its user demoted; its socket closes", async () => {
    for (const change of ["revoke", "demote"] as const) {
      const t = await newTeam(`host-key-${change}`);
      const admin = await memberWithKey(t, "admin");
      const host = await TestHost.connect(admin.key, "lab", { capacity: 4 });
      const first = await createRun(t.key, { prompt: "one", config: { worker_host: "lab" } });
      await host.assignmentOf(first);
      const changed =
        change === "revoke"
          ? await call("DELETE", `/api/v1/api-keys/${admin.keyUid}`, { key: t.key })
          : await call("PATCH", `/api/v1/team/members/${admin.userId}`, {
              key: t.key,
              body: { role: "member" },
            });
      expect(changed.status, changed.text).toBeLessThan(300);
      const second = await createRun(t.key, { prompt: "two", config: { worker_host: "lab" } });
      const closed = await host.untilClosed();
      expect(closed.code).toBe(4003);
      await sleep(100);
      expect(host.assignedIds()).toEqual([first]);
      expect((await call("GET", `${RUNS}/${second}`, { key: t.key })).json.state).toBe("QUEUED");
    }
  });
});
