import { mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

// A run's private directory: files only the run's processes may read (e.g. Claude Code's MCP
// configuration with resolved secrets). mkdtemp makes it 0700; it lives outside the workspace, so
// nothing in it is committed or uploaded, and the backend removes it when the run ends. Its name
// carries the runner's pid, so a runner that was killed outright (no cleanup ran) leaves nothing
// for good: the next runner on the machine removes what dead runners left (`sweepPrivateDirs`).

const PREFIX = "ambit-private-";
const NAME = /^ambit-private-(\d+)-/;

export function makePrivateDir(): string {
  return mkdtempSync(path.join(tmpdir(), `${PREFIX}${process.pid}-`));
}

export function removePrivateDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** Whether a process with this pid exists (ours or another user's). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Removes the private directories of runners that no longer run, among those this user (or the
 * runner's `--agent-user`, who is given them) owns; answers how many. A live runner's
 * directories, and other users', are left alone.
 */
export function sweepPrivateDirs(dir = tmpdir(), agentUid?: number): number {
  const uid = process.getuid?.();
  let removed = 0;
  for (const name of readdirSync(dir)) {
    const pid = NAME.exec(name)?.[1];
    if (!pid || Number(pid) === process.pid || alive(Number(pid))) continue;
    const full = path.join(dir, name);
    try {
      const owner = statSync(full).uid;
      if (uid !== undefined && owner !== uid && owner !== agentUid) continue;
      removePrivateDir(full);
      removed++;
    } catch {
      // gone meanwhile, or not ours to remove
    }
  }
  return removed;
}
