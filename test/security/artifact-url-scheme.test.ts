// Finding 11 (first half): a PULL_REQUEST artifact's url accepted `javascript:` (any scheme zod's
// url() reads). Every URL a client or host sets that a console or the CLI may show as a link goes
// through one schema helper, `safeLinkUrl` (@ambit/protocol): https, or http to a loopback host.
import { describe, expect, it } from "vitest";
import { call, expectProblem, type Json, newTeam } from "../helpers/api.ts";
import { attach } from "../helpers/sockets.ts";
import { createRun, RUNS } from "../helpers/runs.ts";

const BAD = [
  "javascript:alert(document.cookie)",
  "JavaScript:alert(1)",
  " javascript:alert(1)",
  "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
  "vbscript:msgbox(1)",
  "file:///etc/passwd",
  "ftp://example.com/x",
  "http://example.com/pr/1", // plain http to a public host: refused (https only)
  "https://user:pass@github.com/o/r/pull/1", // credentials in a link
];
const GOOD = [
  "https://github.com/o/r/pull/1",
  "http://localhost:3000/pr/1",
  "http://127.0.0.1/pr",
  "http://[::1]:8080/x",
  "http://git.localhost/pr/2",
];

const report = (key: string, runId: string, body: Json) =>
  call("POST", `${RUNS}/${runId}/artifacts`, { key, body });

describe("artifact URLs are safe links", () => {
  for (const url of BAD) {
    it(`refuses ${JSON.stringify(url)} as a PULL_REQUEST or EXTERNAL_REFERENCE url`, async () => {
      const t = await newTeam();
      const id = await createRun(t.key);
      const pr = expectProblem(
        await report(t.key, id, { artifact_type: "PULL_REQUEST", data: { url, branch: "fix" } }),
        400,
        "invalid_request",
      );
      expect(pr.errors.map((e: Json) => e.path)).toContain("data.url");
      expect(pr.detail).toMatch(/https/);
      const ext = await report(t.key, id, {
        artifact_type: "EXTERNAL_REFERENCE",
        data: { reference_type: "doc", url },
      });
      expectProblem(ext, 400, "invalid_request");
      expect((await call("GET", `${RUNS}/${id}`, { key: t.key })).json.artifacts ?? []).toEqual([]);
    });
  }

  it("accepts https, and http to loopback hosts (local development)", async () => {
    const t = await newTeam();
    const id = await createRun(t.key);
    for (const url of GOOD) {
      const res = await report(t.key, id, {
        artifact_type: "PULL_REQUEST",
        data: { url, branch: "fix" },
      });
      expect(res.status, `${url}: ${res.text}`).toBe(201);
    }
  });

  it("an artifact.created event a host appends is held to the same rule", async () => {
    const t = await newTeam();
    const id = await createRun(
      t.key,
      { prompt: "Fix it here", execution_location: "LOCAL" },
      { "x-oz-api-source": "CLI" },
    );
    const c = await call("POST", `${RUNS}/${id}/local/claim`, { key: t.key });
    const host = await attach(id, { token: c.json.assignment.session.token });
    host.send({
      type: "append",
      ref: "a",
      events: [
        {
          host_seq: 1,
          type: "artifact.created",
          payload: {
            artifact_type: "PULL_REQUEST",
            data: { url: "javascript:alert(1)", branch: "x" },
          },
        },
        {
          host_seq: 2,
          type: "artifact.created",
          payload: {
            artifact_type: "PULL_REQUEST",
            data: { url: "https://github.com/o/r/pull/2", branch: "x" },
          },
        },
      ],
    });
    const ack = await host.nth("ack", 1);
    expect(ack.refused).toEqual([{ host_seq: 1, reason: expect.stringMatching(/url/) }]);
    expect(ack.seqs).toHaveLength(1);
  });
});
