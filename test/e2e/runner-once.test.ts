// `--once` (what a platform runner container runs) against a real `wrangler dev`: the runner serves
// one run, then drains and disconnects; with a platform host credential instead of an API key it is
// a runner container's host in all but the container (no Docker engine here).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Host, startHost } from "../../packages/runner/src/host.ts";
import { signHostToken } from "../../src/lib/host-token.ts";
import { shellHarness } from "../fakes/shell-harness.ts";
import {
  api,
  type E2eServer,
  type Json,
  randomSecret,
  startE2eServer,
  waitFor,
} from "./helpers.ts";

const JWT_SECRET = randomSecret(43);
let s: E2eServer;
let dir: string;
const hosts: Host[] = [];

beforeAll(async () => {
  s = await startE2eServer({ teamName: "e2e-once", vars: { JWT_SECRET } });
  dir = mkdtempSync(path.join(tmpdir(), "ambit-e2e-once-"));
});

afterAll(async () => {
  await Promise.all(hosts.map((h) => h.stop()));
  await s?.stop();
  rmSync(dir, { recursive: true, force: true });
});

function onceHost(apiKey: string, workerId: string, labels: string[] = []) {
  const host = startHost({
    url: s.url,
    apiKey,
    workerId,
    capacity: 1,
    once: true,
    labels,
    workdir: mkdtempSync(path.join(dir, "wd-")),
    harnesses: { ambit: shellHarness },
    backoff: { initialMs: 100, maxMs: 1_000 },
    log: () => {},
  });
  hosts.push(host);
  return host;
}

async function createRun(prompt: string, workerHost?: string) {
  const res = await api(s.url, "POST", "/api/v1/agent/runs", {
    key: s.key,
    body: { prompt, ...(workerHost ? { config: { worker_host: workerHost } } : {}) },
  });
  expect(res.status, res.text).toBe(200);
  return res.json.run_id as string;
}

async function untilState(runId: string, state: string, timeoutMs = 20_000) {
  let run: Json = {};
  const ok = await waitFor(
    async () =>
      (run = (await api(s.url, "GET", `/api/v1/agent/runs/${runId}`, { key: s.key })).json)
        .state === state,
    timeoutMs,
  );
  expect(
    ok,
    `run ${runId} ${state}; last: ${run.state} ${JSON.stringify(run.status_message)}`,
  ).toBe(true);
  return run;
}

const hostsOf = async (workerId: string) =>
  ((await api(s.url, "GET", "/api/v1/hosts", { key: s.key })).json.hosts as Json[]).filter(
    (h) => h.worker_id === workerId,
  );

describe("runner --once", () => {
  it("serves its first run, then drains and disconnects; the next run waits for another host", async () => {
    const host = onceHost(s.key, "e2e-once");
    await host.ready;
    const first = await createRun("echo one", "e2e-once");
    await untilState(first, "SUCCEEDED");
    await host.closed;
    expect(await waitFor(async () => (await hostsOf("e2e-once")).length === 0, 10_000)).toBe(true);

    const second = await createRun("echo two", "e2e-once");
    const run = await untilState(second, "QUEUED");
    expect(
      await waitFor(
        async () =>
          /no host is connected/.test(
            (await api(s.url, "GET", `/api/v1/agent/runs/${second}`, { key: s.key })).json
              .status_message?.message ?? "",
          ),
        10_000,
      ),
    ).toBe(true);
    expect(run.state).toBe("QUEUED");
  });

  it("with a platform host credential: joins the team's warp pool, runs the one run it was started for, exits", async () => {
    // what the platform does: a run waits in the warp pool, and a container is started for it
    const runId = await createRun("echo from the platform pool");
    expect(
      await waitFor(
        async () =>
          /no host is connected/.test(
            (await api(s.url, "GET", `/api/v1/agent/runs/${runId}`, { key: s.key })).json
              .status_message?.message ?? "",
          ),
        10_000,
      ),
    ).toBe(true);
    const token = await signHostToken(
      JWT_SECRET,
      { teamId: s.team.uid, runId, executionId: 1 },
      3600,
    );
    const host = onceHost(token, "warp", [`container:${runId}`]);
    await host.ready;
    await untilState(runId, "SUCCEEDED");
    await host.closed;
    expect(await waitFor(async () => (await hostsOf("warp")).length === 0, 10_000)).toBe(true);

    // the same credential opens nothing else, and not its pool again: its run ended
    expect((await api(s.url, "GET", "/api/v1/agent/runs", { key: token })).status).toBe(401);
    const other = onceHost(token, "e2e-other-pool");
    await expect(other.ready).rejects.toThrow(/403/);
    const again = onceHost(token, "warp");
    await expect(again.ready).rejects.toThrow(/403/);
  });
});
