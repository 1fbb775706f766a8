// `ambit agent run --local --share …` with the BUILT CLI against a real `wrangler dev` and the
// scripted model server: a personal LOCAL run shared `team:edit` is attached by a second
// teammate's key, whose follow-up reaches the agent on this machine; its `public:view` link is
// opened without any key and shows the events live; `ambit run share … public:none` revokes it.
import { randomUUID } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Ambit, type RunEvent } from "@ambit/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildCli } from "../../packages/cli/scripts/build.ts";
import { parseSse } from "../../packages/sdk/src/core/sse.ts";
import { type ModelServer, type RecordedRequest, startModelServer } from "../fakes/model-server.ts";
import { type CliProcess, runCli, startCli, tearDown } from "./cli-run.ts";
import { type E2eServer, startE2eServer, waitFor } from "./helpers.ts";
import { useModelServer } from "./runner-setup.ts";

let s: E2eServer;
let bin: string;
let model: ModelServer;
let teammate: Ambit;
let viewer: Ambit;
const dirs: string[] = [];
const clis: CliProcess[] = [];
let releaseTurn!: () => void;
const held = new Promise<void>((r) => (releaseTurn = r));

const isShareRun = (req: RecordedRequest) =>
  JSON.stringify(req.body.messages ?? []).includes("LOCAL-SHARE");
const env = () => ({ AMBIT_BASE_URL: s.url, AMBIT_API_KEY: s.key });

beforeAll(async () => {
  [bin, s] = await Promise.all([buildCli(), startE2eServer({ teamName: "e2e-cli-share" })]);
  let turn = 0;
  model = await startModelServer((req) => {
    if (JSON.stringify(req.body.messages ?? []).includes("LOCAL-JSON"))
      return { text: "Nothing to do." };
    if (!isShareRun(req)) return { text: "no script" };
    return turn++ === 0
      ? { text: "Looking at it.", hold: held }
      : { text: "Done, and handled the teammate's note." };
  });
  const owner = new Ambit({ apiKey: s.key, baseURL: s.url });
  const keyFor = async (role: "member" | "viewer") => {
    const m = await owner.team.members.add({ email: `${role}-${randomUUID()}@example.com`, role });
    return new Ambit({
      apiKey: (await owner.apiKeys.create({ name: role, user_uid: m.uid })).key,
      baseURL: s.url,
    });
  };
  [teammate, viewer] = await Promise.all([keyFor("member"), keyFor("viewer")]);
  await useModelServer(s, "fake-gpt", model.url);
}, 120_000);

afterAll(() =>
  tearDown({ clis, servers: [model && (() => model.close()), s && (() => s.stop())], dirs }),
);

/** Reads a Server-Sent Events stream (no key) into events until `stop` says so. */
async function readSse(
  url: string,
  stop: (events: RunEvent[]) => boolean,
  signal: AbortSignal,
): Promise<RunEvent[]> {
  const res = await fetch(url, { headers: { accept: "text/event-stream" }, signal });
  expect(res.status).toBe(200);
  const events: RunEvent[] = [];
  for await (const message of parseSse(res.body!)) {
    events.push(JSON.parse(message.data));
    if (stop(events)) break;
  }
  return events;
}

describe("ambit agent run --local --share", () => {
  it("a teammate attaches to a shared personal LOCAL run and steers it; the public link shows it without a key until revoked", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "ambit-share-"));
    dirs.push(dir);
    const cli = startCli(
      bin,
      [
        "agent",
        "run",
        "--local",
        "--personal",
        "-p",
        "LOCAL-SHARE: look around",
        "-C",
        dir,
        "--model",
        "fake-gpt",
        "--share",
        "team:edit",
        "--share",
        "public:view",
      ],
      { env: env() },
    );
    clis.push(cli);
    expect(await waitFor(() => /without a key: (\S+)/.test(cli.stderr), 30_000), cli.stderr).toBe(
      true,
    );
    const runId = /Running (\S+) here/.exec(cli.stderr)![1];
    const publicUrl = /without a key: (\S+)/.exec(cli.stderr)![1];
    expect(cli.stderr).toMatch(/teammates with the member role or higher can steer it/);

    // the public link: the run item and its live events, without any key
    const item = await fetch(publicUrl);
    expect(item.status).toBe(200);
    expect(await item.json()).toMatchObject({
      run_id: runId,
      execution_location: "LOCAL",
      scope: { type: "User" },
    });
    const stopPublic = new AbortController();
    const publicEvents = readSse(
      `${publicUrl}/events`,
      (es) => es.some((e) => e.type === "run.state_changed" && e.payload.to === "SUCCEEDED"),
      stopPublic.signal,
    );

    // the teammate (another user of the team) sees the personal run, attaches and sends a follow-up
    const run = await teammate.agent.runs.retrieve(runId);
    expect(run.sharing).toMatchObject({ team: "EDITOR", public: "VIEWER", public_url: publicUrl });
    const seen: RunEvent[] = [];
    const watching = (async () => {
      for await (const e of teammate.agent.runs.stream(runId, { after: 0 })) seen.push(e);
    })();
    expect(
      await waitFor(() => model.requests.filter(isShareRun).length >= 1, 30_000),
      cli.stderr,
    ).toBe(true);
    await expect(
      viewer.agent.runs.followup(runId, { message: "a viewer-role key may not steer" }),
    ).rejects.toMatchObject({ status: 403 });
    await teammate.agent.runs.followup(runId, {
      message: "Please also check LOCAL-SHARE-FOLLOWUP",
    });
    expect(await waitFor(() => seen.some((e) => e.type === "followup.received"), 10_000)).toBe(
      true,
    );
    await new Promise((r) => setTimeout(r, 1_000)); // the follow-up reaches the local agent over its session
    releaseTurn();

    const result = await cli.done;
    await watching;
    expect(result.code, `${result.stdout}\n${result.stderr}`).toBe(0);
    const second = model.requests.filter(isShareRun)[1];
    expect(second, "a model call after the follow-up").toBeTruthy();
    expect(JSON.stringify(second.body.messages)).toContain(
      "Please also check LOCAL-SHARE-FOLLOWUP",
    );
    expect(seen.find((e) => e.type === "followup.received")?.actor).toMatchObject({
      type: "user",
      id: expect.not.stringMatching(run.creator!.uid!),
    });

    // the anonymous watcher saw the same log, live, from the first event to the end
    const watched = await Promise.race([
      publicEvents,
      new Promise<never>((_, no) =>
        setTimeout(() => no(new Error("public SSE did not see the end")), 15_000),
      ),
    ]);
    stopPublic.abort();
    expect(watched.map((e) => e.seq)).toEqual(seen.map((e) => e.seq));
    expect(watched.map((e) => e.type)).toEqual(
      expect.arrayContaining(["run.created", "followup.received", "agent.message"]),
    );

    // the creator revokes the link with the CLI; it stops working, the teammate still sees the run
    const revoked = await runCli(bin, ["run", "share", runId, "public:none"], { env: env() });
    expect(revoked.code, revoked.stderr).toBe(0);
    expect(revoked.stdout).toMatch(/teammates with the member role or higher can steer it/);
    expect(revoked.stdout).not.toContain(publicUrl);
    expect((await fetch(publicUrl)).status).toBe(404);
    expect((await fetch(`${publicUrl}/events`)).status).toBe(404);
    expect((await teammate.agent.runs.retrieve(runId)).sharing).toEqual({
      team: "EDITOR",
      public: "NONE",
    });
  }, 120_000);

  it("refuses recipients it cannot honour with a usage error that lists the accepted forms", async () => {
    const cases: [string, RegExp][] = [
      ["public:edit", /read-only.*--share team:edit/],
      ["bob@example.com", /with a person is not supported yet/],
      ["email:view", /with a person is not supported yet/],
      ["everyone", /not a recipient; use team \(or team:view.*team:edit.*public:view/],
    ];
    for (const [spec, message] of cases) {
      const r = await runCli(bin, ["agent", "run", "-p", "x", "--share", spec], { env: env() });
      expect(r.code, spec).toBe(2);
      expect(r.stderr, spec).toMatch(message);
    }
    const both = await runCli(
      bin,
      ["agent", "run", "-p", "x", "--share", "team", "--share", "team:edit"],
      { env: env() },
    );
    expect(both.stderr).toMatch(/names team twice/);
    const help = await runCli(bin, ["agent", "run", "--help"], { env: env() });
    expect(help.stdout).toMatch(/--share <recipient>/);
  });

  it("--local --json --share: the first line is the created run with its sharing, then one event per line", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "ambit-share-"));
    dirs.push(dir);
    const r = await runCli(
      bin,
      [
        "agent",
        "run",
        "--local",
        "-p",
        "LOCAL-JSON: nothing",
        "-C",
        dir,
        "--model",
        "fake-gpt",
        "--share",
        "public:view",
        "--json",
      ],
      { env: env() },
    );
    expect(r.code, r.stderr).toBe(0);
    const [first, ...events] = r.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(first).toMatchObject({
      run_id: expect.any(String),
      sharing: { team: "EDITOR", public: "VIEWER", public_url: expect.any(String) },
    });
    expect(events.length).toBeGreaterThan(2);
    expect(events.every((e) => typeof e.seq === "number" && e.type)).toBe(true);
    expect(events.at(-1)).toMatchObject({
      type: "run.state_changed",
      payload: { to: "SUCCEEDED" },
    });
  });

  it("a cloud run created with --share --json --no-follow prints its sharing", async () => {
    const r = await runCli(
      bin,
      ["agent", "run", "-p", "shared cloud run", "--share", "public:view", "--json", "--no-follow"],
      { env: env() },
    );
    expect(r.code, r.stderr).toBe(0);
    const created = JSON.parse(r.stdout);
    expect(created.sharing).toMatchObject({
      team: "EDITOR",
      public: "VIEWER",
      public_url: expect.stringMatching(/\/api\/v1\/public\/runs\//),
    });
    expect((await (await fetch(created.sharing.public_url)).json()).run_id).toBe(created.run_id);
  });
});
