// The platform host credential a runner container presents on the host websocket
// (PLATFORM_HOSTS=containers): it admits one host of capacity 1 to its own team's `warp` pool and
// nothing else, while its run waits for it (see test/security/container-credential-bound-to-run.test.ts
// for the binding to the run). Refusals are problems, like those of an API key.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { signAttachToken } from "../../src/lib/attach-token.ts";
import { signHostToken } from "../../src/lib/host-token.ts";
import { call, expectProblem, newTeam, readResponse } from "../helpers/api.ts";
import { hostRequest, poolHosts, poolStub, TestHost } from "../helpers/hosts.ts";
import { insertRunRow } from "../helpers/runs.ts";

const token = (teamId: string, runId = crypto.randomUUID(), ttl = 3600, secret = env.JWT_SECRET) =>
  signHostToken(secret, { teamId, runId, executionId: 1 }, ttl);

/** A run of the team waiting in its platform pool (no host connected): what a container is started for. */
async function waitingRun(t: { teamId: string; userId: string }) {
  const runId = (await insertRunRow(t)).id;
  await poolStub(t.teamId).offer({ runId, teamId: t.teamId, pool: "warp", executionId: 1 });
  return runId;
}
const refusal = readResponse;

describe("platform host credential on /selfhosted/worker/ws", () => {
  it("connects to its team's platform pool as a host of capacity 1, named for its run", async () => {
    const t = await newTeam("host-token");
    const host = await TestHost.connect(await token(t.teamId, await waitingRun(t)), "warp", {
      capacity: 8,
    });
    expect(host.welcome.worker_id).toBe("warp");
    await new Promise((r) => setTimeout(r, 50));
    // it took its run at once: a container's connection serves one run (capacity 0 after it)
    expect((await poolHosts(t.teamId)).map((h) => [h.worker_id, h.running.length])).toEqual([
      ["warp", 1],
    ]);
    // the team's admin sees it; another team does not
    const listed = await call("GET", "/api/v1/hosts", { key: t.key });
    expect(listed.json.hosts).toHaveLength(1);
    const other = await newTeam("host-token-other");
    expect((await call("GET", "/api/v1/hosts", { key: other.key })).json.hosts).toEqual([]);
    expect(await poolHosts(other.teamId)).toEqual([]);
    host.close();
  });

  it("is refused for any pool but warp (403), and is no API key anywhere else (401)", async () => {
    const t = await newTeam("host-token-pool");
    const tok = await token(t.teamId);
    const body = expectProblem(await refusal(await hostRequest("lab", tok)), 403, "not_authorized");
    expect(body.detail).toMatch(/worker_id=warp only/);
    expect(await poolHosts(t.teamId, "lab")).toEqual([]);
    expectProblem(await call("GET", "/api/v1/hosts", { key: tok }), 401, "authentication_required");
    expectProblem(
      await call("GET", "/api/v1/agent/runs", { key: tok }),
      401,
      "authentication_required",
    );
  });

  it("is refused when expired, forged, or a different kind of token (401)", async () => {
    const t = await newTeam("host-token-bad");
    const expired = await token(t.teamId, "r", -60);
    const forged = await token(
      t.teamId,
      "r",
      undefined,
      "another-secret-0123456789abcdefghijklmnop",
    );
    const { token: attach } = await signAttachToken(env.JWT_SECRET, {
      teamId: t.teamId,
      runId: "r",
      principal: { type: "host", id: "warp" },
      access: "HOST",
    });
    for (const bad of [expired, forged, attach, "not-a-token"]) {
      const body = expectProblem(
        await refusal(await hostRequest("warp", bad)),
        401,
        "authentication_required",
      );
      expect(body.detail).toMatch(/host credential is not valid/);
    }
    expect(await poolHosts(t.teamId)).toEqual([]);
  });
});
