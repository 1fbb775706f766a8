// Artifacts: a run's host (HOST attach token) or an admin key adds pull requests and files (R2);
// teammates read them through GET /agent/artifacts/{uid} and a signed /download link; another
// team gets 404 and a weaker key 403.
import { describe, expect, it } from "vitest";
import { exports } from "cloudflare:workers";
import { BASE, call, expectProblem, memberKey, newTeam } from "../helpers/api.ts";
import { advance, createRun, RUNS } from "../helpers/runs.ts";
import { tokenFor } from "../helpers/sockets.ts";

/** A run its host holds (a HOST token grants its execution only while it is held). */
async function heldRun(team: { key: string; teamId: string }) {
  const runId = await createRun(team.key, { prompt: "p" });
  await advance({ runId, teamId: team.teamId }, "dispatch", "claim", "start");
  return runId;
}

const upload = (
  runId: string,
  auth: string,
  body: string,
  query = "filename=notes.txt&filepath=artifacts/notes.txt",
  type = "text/plain",
) =>
  call("POST", `${RUNS}/${runId}/artifacts/files?${query}`, {
    raw: body,
    headers: { authorization: `Bearer ${auth}`, "content-type": type },
  });

describe("artifacts", () => {
  it("the run's host uploads a file; it shows on the run, and GET + /download serve it to the team", async () => {
    const t = await newTeam("artifacts");
    const runId = await heldRun(t);
    const token = await tokenFor({ runId, teamId: t.teamId }, "HOST");
    const up = await upload(runId, token, "line 1\nline 2\n");
    expect(up.status, up.text).toBe(201);
    const uid = up.json.artifact_uid as string;
    expect(up.json).toMatchObject({
      artifact_type: "FILE",
      data: {
        artifact_uid: uid,
        filename: "notes.txt",
        filepath: "artifacts/notes.txt",
        mime_type: "text/plain",
        size_bytes: 14,
      },
    });

    const run = await call("GET", `${RUNS}/${runId}`, { key: t.key });
    expect(run.json.artifacts).toEqual([
      { artifact_type: "FILE", created_at: up.json.created_at, data: up.json.data },
    ]);
    const listed = await call("GET", `${RUNS}?artifact_type=FILE`, { key: t.key });
    expect(listed.json.runs.map((r: { run_id: string }) => r.run_id)).toEqual([runId]);

    const got = await call("GET", `/api/v1/agent/artifacts/${uid}`, { key: t.key });
    expect(got.status, got.text).toBe(200);
    expect(got.json).toMatchObject({
      artifact_uid: uid,
      artifact_type: "FILE",
      data: { filename: "notes.txt", content_type: "text/plain", size_bytes: 14 },
    });
    expect(Date.parse(got.json.data.expires_at)).toBeGreaterThan(Date.now());
    const viaLink = await exports.default.fetch(new Request(got.json.data.download_url));
    expect(viaLink.status).toBe(200);
    expect(await viaLink.text()).toBe("line 1\nline 2\n");

    const viewer = (await memberKey(t.key, "viewer")).key;
    const dl = await exports.default.fetch(
      new Request(`${BASE}/api/v1/agent/artifacts/${uid}/download`, {
        headers: { authorization: `Bearer ${viewer}` },
        redirect: "manual",
      }),
    );
    expect(dl.status).toBe(302);
    expect(dl.headers.get("cache-control")).toBe("no-store");
    const file = await exports.default.fetch(new Request(dl.headers.get("location")!));
    expect(file.status).toBe(200);
    expect(file.headers.get("content-disposition")).toBe('attachment; filename="notes.txt"');
    expect(file.headers.get("x-content-type-options")).toBe("nosniff");
    expect(await file.text()).toBe("line 1\nline 2\n");

    const forged = await call("GET", `/api/v1/agent/artifacts/${uid}/content?token=nope`);
    expectProblem(forged, 401, "authentication_required");
  });

  it("reports a pull request with the host token or an admin key; members and viewers may not; bad bodies are 400", async () => {
    const t = await newTeam("artifacts-pr");
    const runId = await heldRun(t);
    const token = await tokenFor({ runId, teamId: t.teamId }, "HOST");
    const pr = {
      artifact_type: "PULL_REQUEST",
      data: { url: "https://github.com/acme/app/pull/7", branch: `ambit/${runId}` },
    };
    const byHost = await call("POST", `${RUNS}/${runId}/artifacts`, {
      body: pr,
      headers: { authorization: `Bearer ${token}` },
    });
    expect(byHost.status, byHost.text).toBe(201);
    const byAdmin = await call("POST", `${RUNS}/${runId}/artifacts`, {
      key: t.key,
      body: {
        artifact_type: "EXTERNAL_REFERENCE",
        data: { reference_type: "linear_issue", url: "https://linear.app/x/1" },
      },
    });
    expect(byAdmin.status, byAdmin.text).toBe(201);
    const run = await call("GET", `${RUNS}/${runId}`, { key: t.key });
    expect(run.json.artifacts.map((a: { artifact_type: string }) => a.artifact_type)).toEqual([
      "PULL_REQUEST",
      "EXTERNAL_REFERENCE",
    ]);
    expect(run.json.artifacts[0].data).toEqual(pr.data);

    expectProblem(
      await call("POST", `${RUNS}/${runId}/artifacts`, {
        key: (await memberKey(t.key, "member")).key,
        body: pr,
      }),
      403,
      "not_authorized",
    );
    const editor = await tokenFor({ runId, teamId: t.teamId }, "EDITOR", {
      type: "user",
      id: t.userId,
    });
    expectProblem(
      await call("POST", `${RUNS}/${runId}/artifacts`, {
        body: pr,
        headers: { authorization: `Bearer ${editor}` },
      }),
      403,
      "not_authorized",
    );
    expectProblem(
      await call("POST", `${RUNS}/${runId}/artifacts`, {
        key: t.key,
        body: { artifact_type: "PULL_REQUEST", data: { url: "not a url" } },
      }),
      400,
      "invalid_request",
    );
    expectProblem(await upload(runId, token, "x", "filename=a%2Fb"), 400, "invalid_request");
    expectProblem(
      await call("POST", `${RUNS}/${runId}/artifacts`, { body: pr }),
      401,
      "authentication_required",
    );
    // a PR has no file: reading it works, downloading it says why not
    const uid = byHost.json.artifact_uid;
    expect(
      (await call("GET", `/api/v1/agent/artifacts/${uid}`, { key: t.key })).json,
    ).toMatchObject({ artifact_type: "PULL_REQUEST", data: pr.data });
    expectProblem(
      await call("GET", `/api/v1/agent/artifacts/${uid}/download`, { key: t.key }),
      400,
      "invalid_request",
    );
  });

  it("another team's run and artifacts are not found; a host token of another run is refused", async () => {
    const a = await newTeam("artifacts-a");
    const b = await newTeam("artifacts-b");
    const runA = await heldRun(a);
    const runB = await createRun(b.key, { prompt: "p" });
    const token = await tokenFor({ runId: runA, teamId: a.teamId }, "HOST");
    const up = await upload(runA, token, "secret plans");
    expect(up.status).toBe(201);
    const uid = up.json.artifact_uid;
    expectProblem(
      await call("GET", `/api/v1/agent/artifacts/${uid}`, { key: b.key }),
      404,
      "resource_not_found",
    );
    expectProblem(
      await call("GET", `/api/v1/agent/artifacts/${uid}/download`, { key: b.key }),
      404,
      "resource_not_found",
    );
    expectProblem(await upload(runA, b.key, "x"), 404, "resource_not_found");
    expectProblem(await upload(runB, token, "x"), 404, "resource_not_found");
    expectProblem(
      await call("GET", `/api/v1/agent/artifacts/nope`, { key: a.key }),
      404,
      "resource_not_found",
    );
  });

  it("accepts files above the JSON body limit, up to 25 MiB", async () => {
    const t = await newTeam("artifacts-big");
    const runId = await heldRun(t);
    const token = await tokenFor({ runId, teamId: t.teamId }, "HOST");
    const big = "x".repeat(2 * 1024 * 1024);
    const up = await upload(runId, token, big, "filename=big.txt", "application/octet-stream");
    expect(up.status, up.text.slice(0, 300)).toBe(201);
    expect(up.json.data.size_bytes).toBe(big.length);
  });
});
