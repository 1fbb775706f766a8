// A minimal image for the docker backend's tests, made from this machine's own programs (a POSIX
// shell and a few coreutils with the shared libraries `ldd` names), imported with `docker import`:
// no registry, no network. Tagged uniquely; `remove()` deletes it.
import { execFileSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

/** What the tests and the `ambit` harness's shell tool run in the container. */
const PROGRAMS = [
  "sh",
  "sleep",
  "cat",
  "ls",
  "mkdir",
  "rm",
  "grep",
  "id",
  "env",
  "tr",
  "echo",
  "test",
];

/** Programs found on this machine's PATH, with every library they load. */
function filesOf(programs: string[]): string[] {
  const files = new Set<string>();
  for (const prog of programs) {
    let bin: string;
    try {
      bin = execFileSync("sh", ["-c", `command -v ${prog}`], { encoding: "utf8" }).trim();
    } catch {
      continue; // not installed here; a shell builtin serves (echo, test)
    }
    if (!bin.startsWith("/")) continue;
    files.add(bin);
    let libs = "";
    try {
      libs = execFileSync("ldd", [bin], { encoding: "utf8" });
    } catch {
      continue; // statically linked
    }
    for (const m of libs.matchAll(/(\/\S+)\s+\(0x/g)) files.add(m[1]);
  }
  return [...files];
}

export type TestImage = { tag: string; remove(): void };

/**
 * `extra.programs`: more of this machine's programs (bash, …); `extra.files`: a path in the
 * image → a program of this machine put there (a vendor CLI's binary), with the libraries it loads.
 */
export function buildTestImage(
  extra: { programs?: string[]; files?: Record<string, string> } = {},
): TestImage {
  const root = mkdtempSync(path.join(tmpdir(), "ambit-image-"));
  const put = (from: string, to: string) => {
    const dest = path.join(root, to);
    mkdirSync(path.dirname(dest), { recursive: true });
    copyFileSync(from, dest); // follows symlinks: /bin/sh → dash becomes a real sh
    chmodSync(dest, 0o755);
  };
  try {
    const placed = Object.entries(extra.files ?? {});
    for (const file of filesOf([...PROGRAMS, ...(extra.programs ?? [])])) put(file, file);
    for (const [to, from] of placed) {
      put(from, to);
      for (const lib of filesOf([from])) if (lib !== from) put(lib, lib);
    }
    // a home for root, whose programs (vendor CLIs) keep their state there
    mkdirSync(path.join(root, "root"), { recursive: true });
    // a merged-/usr host finds its programs under /usr/bin; the image answers at /bin too
    for (const dir of ["bin", "lib", "lib64"]) {
      if (!existsSync(path.join(root, dir)) && existsSync(path.join(root, "usr", dir)))
        execFileSync("ln", ["-s", `usr/${dir}`, path.join(root, dir)]);
    }
    mkdirSync(path.join(root, "tmp"));
    chmodSync(path.join(root, "tmp"), 0o1777);
    const tag = `ambit-test-${randomUUID().slice(0, 8)}:local`;
    const tar = path.join(tmpdir(), `${path.basename(root)}.tar`);
    execFileSync("tar", ["-C", root, "-cf", tar, "."]);
    try {
      execFileSync(
        "docker",
        ["import", "--change", "ENV PATH=/usr/local/bin:/usr/bin:/bin", tar, tag],
        { stdio: "pipe" },
      );
    } finally {
      rmSync(tar, { force: true });
    }
    return { tag, remove: () => execFileSync("docker", ["rmi", "-f", tag], { stdio: "ignore" }) };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
