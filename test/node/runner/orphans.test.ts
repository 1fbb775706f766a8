// A runner killed outright (SIGKILL) leaves no agent process running: its watchdog kills the runs'
// process groups at once, and a runner started again on the same workdir kills what is left
// (packages/runner/src/backends/orphans.ts). Linux only (/proc).
import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { sweepOrphanGroups } from "../../../packages/runner/src/backends/orphans.ts";

const FAKES = path.resolve(import.meta.dirname, "../../fakes");
const linux = process.platform === "linux";
const root = mkdtempSync(path.join(tmpdir(), "ambit-orphans-"));
const children: ChildProcess[] = [];
const groups: number[] = [];
let workdir: string;

beforeEach(() => {
  workdir = mkdtempSync(path.join(root, "wd-"));
});

afterAll(() => {
  for (const c of children) c.kill("SIGKILL");
  for (const g of groups) signalGroup(g, "SIGKILL");
  rmSync(root, { recursive: true, force: true });
});

function signalGroup(pgid: number, signal: NodeJS.Signals | 0) {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}
const groupAlive = (pgid: number) => signalGroup(pgid, 0);

async function until(cond: () => boolean, ms: number) {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 50)))
    if (cond()) return true;
  return cond();
}

/** `node <script> …args`; resolves with the child once its output matches `ready`. */
async function start(script: string, args: string[], ready: RegExp, env: NodeJS.ProcessEnv = {}) {
  const child = spawn(process.execPath, [path.join(FAKES, script), ...args], {
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  let out = "";
  child.stdout?.on("data", (d) => (out += d));
  child.stderr?.on("data", (d) => (out += d));
  const exited = new Promise((r) => child.once("exit", r));
  if (!(await until(() => ready.test(out), 20_000))) throw new Error(`${script}: ${out}`);
  return { child, exited, output: () => out };
}

/** A runner's first life with a busy agent; answers its agent's process group. */
async function firstLife(watchdog: boolean) {
  const life = await start(
    "group-spawner.ts",
    [workdir, ...(watchdog ? [] : ["--no-watchdog"])],
    /"pgid":\d+/,
  );
  const pgid = Number(life.output().match(/"pgid":(\d+)/)?.[1]);
  groups.push(pgid);
  expect(groupAlive(pgid)).toBe(true);
  return { ...life, pgid };
}

describe.skipIf(!linux)("a runner's orphaned process groups", () => {
  it("die with a runner killed with SIGKILL (its watchdog), and its ledger with them", async () => {
    const first = await firstLife(true);
    first.child.kill("SIGKILL");
    await first.exited;
    expect(await until(() => !groupAlive(first.pgid), 5_000)).toBe(true);
    expect(
      await until(() => readdirSync(path.join(workdir, "process-groups")).length === 0, 2_000),
    ).toBe(true);
  });

  it("are killed by the runner started again on the same workdir when nothing else did", async () => {
    const first = await firstLife(false);
    first.child.kill("SIGKILL");
    await first.exited;
    await new Promise((r) => setTimeout(r, 500));
    expect(groupAlive(first.pgid)).toBe(true); // orphaned: no watchdog this time
    // the runner's second life, on the same workdir; no platform needed, the sweep comes first
    const second = await start(
      "runner-process.ts",
      ["http://127.0.0.1:9", "orphans", workdir],
      /^/,
      {
        AMBIT_API_KEY: "unused",
        RUNNER_ORPHAN_WATCHDOG: "0",
      },
    );
    expect(await until(() => !groupAlive(first.pgid), 10_000)).toBe(true);
    expect(second.output()).toMatch(/killed process groups.*"count":1/);
    second.child.kill("SIGKILL");
  });

  it("spare a group that is not the one recorded (its pgid now another's) and a live runner's", async () => {
    const stranger = spawn("sleep", ["300"], { detached: true, stdio: "ignore" });
    const pgid = stranger.pid as number;
    groups.push(pgid);
    const boot = readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim();
    const stat = readFileSync(`/proc/${pgid}/stat`, "utf8");
    const start = stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
    const init = readFileSync("/proc/1/stat", "utf8");
    const initStart = init.slice(init.lastIndexOf(")") + 2).split(" ")[19];
    const ledger = (name: string, recorded: string) => {
      const dir = path.join(workdir, "process-groups", name);
      mkdirSync(dir, { recursive: true });
      writeFileSync(path.join(dir, String(pgid)), `${recorded}\n`);
    };
    ledger(`${boot}.4194305.1.dead`, String(Number(start) - 1)); // a dead runner's, another start
    ledger(`${boot}.1.${initStart}.live`, start); // a live runner's (pid 1 stands for it)
    expect(sweepOrphanGroups(workdir)).toBe(0);
    expect(groupAlive(pgid)).toBe(true);
    expect(readdirSync(path.join(workdir, "process-groups"))).toEqual([
      `${boot}.1.${initStart}.live`,
    ]);
  });
});
