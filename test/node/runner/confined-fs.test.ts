import { execFileSync } from "node:child_process";
import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  OutsideError,
  readInside,
  writeInside,
} from "../../../packages/runner/src/backends/confined-fs.ts";

let root = "";
let ws = "";
let outside = "";
beforeAll(() => {
  root = mkdtempSync(path.join(tmpdir(), "ambit-confined-"));
  ws = path.join(root, "ws");
  outside = path.join(root, "outside.txt");
  mkdirSync(path.join(ws, "docs"), { recursive: true });
  writeFileSync(outside, "host");
  writeFileSync(path.join(ws, "docs", "a.md"), "inside");
  symlinkSync("docs/a.md", path.join(ws, "alias.md"));
  symlinkSync(outside, path.join(ws, "out.md"));
  symlinkSync(root, path.join(ws, "up"));
  execFileSync("mkfifo", [path.join(ws, "fifo")]);
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe("confined-fs", () => {
  it("reads files of the workspace, through links that stay inside it", () => {
    expect(readInside(ws, path.join(ws, "docs/a.md")).bytes!.toString()).toBe("inside");
    expect(readInside(ws, path.join(ws, "alias.md")).bytes!.toString()).toBe("inside");
    expect(readInside(ws, path.join(ws, "docs/a.md"), 3)).toEqual({ bytes: null, size: 6 });
  });

  it("refuses links out of the workspace, as the last part or on the way, and FIFOs (without hanging)", () => {
    expect(() => readInside(ws, path.join(ws, "out.md"))).toThrow(OutsideError);
    expect(() => readInside(ws, path.join(ws, "up/outside.txt"))).toThrow(OutsideError);
    expect(() => readInside(ws, path.join(ws, "fifo"))).toThrow(OutsideError);
    expect(() => writeInside(ws, path.join(ws, "out.md"), "x")).toThrow(OutsideError);
    expect(() => writeInside(ws, path.join(ws, "up/new.txt"), "x")).toThrow(OutsideError);
    expect(readFileSync(outside, "utf8")).toBe("host");
  });

  it("writes new and existing files inside, replacing their content", () => {
    writeInside(ws, path.join(ws, "docs/new.txt"), "one two");
    writeInside(ws, path.join(ws, "docs/new.txt"), "three");
    expect(readFileSync(path.join(ws, "docs/new.txt"), "utf8")).toBe("three");
    expect(statSync(path.join(ws, "docs/new.txt")).mode & 0o777).toBe(0o644 & ~process.umask());
  });
});
