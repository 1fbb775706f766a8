import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  makePrivateDir,
  removePrivateDir,
  sweepPrivateDirs,
} from "../../../packages/runner/src/backends/private-dir.ts";

/** The pid of a process that has ended (the kernel does not reuse it this soon). */
const deadPid = () => spawnSync("sh", ["-c", "echo $$"], { encoding: "utf8" }).stdout.trim();

describe("private run directories", () => {
  let root = "";
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it("are 0700, named with the runner's pid, and removed by removePrivateDir", () => {
    const dir = makePrivateDir();
    expect(path.basename(dir)).toMatch(new RegExp(`^ambit-private-${process.pid}-`));
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    removePrivateDir(dir);
    expect(existsSync(dir)).toBe(false);
  });

  it("a runner's start removes what runners killed outright left, and nothing of a live one", () => {
    root = mkdtempSync(path.join(tmpdir(), "ambit-sweep-"));
    const dead = path.join(root, `ambit-private-${deadPid()}-abc123`);
    const live = path.join(root, `ambit-private-${process.pid}-def456`);
    const parent = path.join(root, `ambit-private-${process.ppid}-ghi789`);
    const other = path.join(root, "ambit-backend-xyz");
    for (const d of [dead, live, parent, other]) mkdirSync(d, { mode: 0o700 });
    writeFileSync(path.join(dead, "claude-mcp.json"), "{}", { mode: 0o600 });
    expect(sweepPrivateDirs(root)).toBe(1);
    expect([dead, live, parent, other].map(existsSync)).toEqual([false, true, true, true]);
  });
});
