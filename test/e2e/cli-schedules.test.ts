// Schedules from the SDK (`client.agent.schedules`) and the built `ambit schedule …` commands
// against a real `wrangler dev`: every verb, --json, the update that keeps what it was not told,
// and a bad cron's message naming the wrong field.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Ambit, BadRequestError, NotFoundError } from "@ambit/sdk";
import { buildCli } from "../../packages/cli/scripts/build.ts";
import { runCli } from "./cli-run.ts";
import { type E2eServer, type Json, startE2eServer } from "./helpers.ts";

let s: E2eServer;
let bin: string;
let sdk: Ambit;

beforeAll(async () => {
  [bin, s] = await Promise.all([buildCli(), startE2eServer({ teamName: "cli-schedules" })]);
  sdk = new Ambit({ apiKey: s.key, baseURL: s.url });
});
afterAll(async () => {
  await s?.stop();
});

const ambit = (args: string[]) =>
  runCli(bin, args, { env: { AMBIT_BASE_URL: s.url, AMBIT_API_KEY: s.key } });
const parsed = (r: { code: number | null; stdout: string; stderr: string }) => {
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Json;
};

describe("schedules from the SDK", () => {
  it("create, retrieve, list, update, pause, resume, delete; errors as typed classes", async () => {
    const created = await sdk.agent.schedules.create({
      name: "sdk nightly",
      cron_schedule: "0 3 * * *",
      prompt: "Upgrade dependencies",
      timezone: "Europe/Berlin",
    });
    expect(created).toMatchObject({
      name: "sdk nightly",
      enabled: true,
      timezone: "Europe/Berlin",
      overlap_policy: "skip",
    });
    expect(created.history?.next_run).toBeTruthy();
    expect((await sdk.agent.schedules.retrieve(created.id)).id).toBe(created.id);
    expect((await sdk.agent.schedules.list()).schedules.map((x) => x.id)).toContain(created.id);
    const updated = await sdk.agent.schedules.update(created.id, {
      name: "sdk nightly",
      cron_schedule: "30 4 * * *",
      prompt: "Upgrade dependencies",
      enabled: true,
    });
    expect(updated).toMatchObject({ cron_schedule: "30 4 * * *", timezone: "Europe/Berlin" });
    expect((await sdk.agent.schedules.pause(created.id)).enabled).toBe(false);
    expect((await sdk.agent.schedules.resume(created.id)).enabled).toBe(true);
    const bad = await sdk.agent.schedules
      .create({ name: "bad", cron_schedule: "0 25 * * *", prompt: "x" })
      .catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(BadRequestError);
    expect((bad as BadRequestError).message).toMatch(/hour/);
    expect(await sdk.agent.schedules.delete(created.id)).toEqual({ success: true });
    expect(await sdk.agent.schedules.retrieve(created.id).catch((e: unknown) => e)).toBeInstanceOf(
      NotFoundError,
    );
  });
});

describe("ambit schedule", () => {
  it("create → list → get → update (keeping the rest) → pause → resume → delete, with --json and text", async () => {
    const created = parsed(
      await ambit([
        "schedule",
        "create",
        "cli nightly",
        "--cron",
        "0 3 * * *",
        "-p",
        "Triage issues",
        "--timezone",
        "America/New_York",
        "--overlap",
        "allow",
        "--host",
        "box",
        "--json",
      ]),
    );
    expect(created).toMatchObject({
      name: "cli nightly",
      cron_schedule: "0 3 * * *",
      timezone: "America/New_York",
      overlap_policy: "allow",
      agent_config: { worker_host: "box" },
    });
    const id = created.id as string;

    const list = await ambit(["schedule", "list"]);
    expect(list.stdout).toMatch(/^ID +NAME +CRON +ENABLED +NEXT RUN +LAST RAN +ERROR$/m);
    expect(list.stdout).toMatch(
      new RegExp(`^${id} +cli nightly +0 3 \\* \\* \\* America/New_York +yes`, "m"),
    );
    expect(
      parsed(await ambit(["schedule", "ls", "--json"])).schedules.map((x: Json) => x.id),
    ).toContain(id);

    const get = await ambit(["schedule", "get", id]);
    expect(get.stdout).toMatch(/^Cron: +0 3 \* \* \* \(America\/New_York\)$/m);
    expect(get.stdout).toMatch(/^Overlap: +allow$/m);

    const updated = parsed(
      await ambit([
        "schedule",
        "update",
        id,
        "--cron",
        "15 6 * * 1-5",
        "--model",
        "gpt-x",
        "--json",
      ]),
    );
    expect(updated).toMatchObject({
      cron_schedule: "15 6 * * 1-5",
      prompt: "Triage issues",
      timezone: "America/New_York",
      overlap_policy: "allow",
      agent_config: { worker_host: "box", model_id: "gpt-x" },
    });

    expect((await ambit(["schedule", "pause", id])).stdout).toBe("Paused cli nightly\n");
    expect(parsed(await ambit(["schedule", "get", id, "--json"])).enabled).toBe(false);
    expect((await ambit(["schedule", "resume", id])).stdout).toMatch(
      /^Resumed cli nightly; next run /,
    );
    expect((await ambit(["schedule", "delete", id])).stdout).toBe(`Deleted ${id}\n`);
    const gone = await ambit(["schedule", "get", id]);
    expect(gone.code).toBe(5);
  });

  it("says what is wrong: a bad cron field, a missing --cron, an unknown overlap policy", async () => {
    const bad = await ambit(["schedule", "create", "broken", "--cron", "0 25 * * *", "-p", "x"]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/hour/);
    const missing = await ambit(["schedule", "create", "nocron", "-p", "x"]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/--cron is required/);
    const overlap = await ambit([
      "schedule",
      "create",
      "x",
      "--cron",
      "* * * * *",
      "-p",
      "x",
      "--overlap",
      "sometimes",
    ]);
    expect(overlap.code).toBe(2);
    expect(overlap.stderr).toMatch(/--overlap must be one of skip, allow, cancel_previous/);
  });
});
