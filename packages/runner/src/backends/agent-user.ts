import { execFileSync, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";

// `--agent-user <name>`: the process backend starts every process of a run (setup commands, the
// agent's shell, MCP servers, CLIs, git) as this unprivileged user, while the runner, which holds
// the host's credential (AMBIT_API_KEY), stays another user. The kernel then keeps the agent out
// of the runner's memory and `/proc/<runner>/environ` (readable only by the same uid or root). The
// runner must be root to start processes as another user.

/** Who a run's processes run as when they are not the runner. */
export type AgentUser = { name: string; uid: number; gid: number; home: string };

/** The passwd entry of `spec` (a name or a uid), through `getent` (NSS), else /etc/passwd. */
function passwdEntry(spec: string): string[] | null {
  try {
    return execFileSync("getent", ["passwd", spec], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    })
      .trim()
      .split(":");
  } catch {
    const line = readFileSync("/etc/passwd", "utf8")
      .split("\n")
      .find((l) => {
        const f = l.split(":");
        return f[0] === spec || f[2] === spec;
      });
    return line ? line.split(":") : null;
  }
}

/**
 * Resolves `--agent-user`; throws, saying how to fix it, when the user does not exist, is root
 * or the runner's own user, or when the runner is not root (it could not switch to it).
 */
export function resolveAgentUser(spec: string): AgentUser {
  const entry = passwdEntry(spec);
  if (!entry || entry.length < 6)
    throw new Error(
      `--agent-user ${spec}: no such user on this machine; create one (e.g. useradd --system --create-home ambit-agent)`,
    );
  const [name, , uid, gid, , home] = entry;
  const user = { name, uid: Number(uid), gid: Number(gid), home: home || "/" };
  if (user.uid === 0) throw new Error(`--agent-user ${spec} is root; name an unprivileged user`);
  if (process.getuid?.() !== 0)
    throw new Error(
      `--agent-user needs the runner to run as root (it starts the agent's processes as ${name}); start it as root, or drop --agent-user`,
    );
  return user;
}

/** Throws, saying what to change, when `user` cannot reach `dir` (every parent needs x for it). */
export function checkAgentUserReaches(user: AgentUser, dir: string): void {
  const r = spawnSync("test", ["-x", dir], { uid: user.uid, gid: user.gid, stdio: "ignore" });
  if (r.status !== 0) {
    throw new Error(
      `--agent-user ${user.name} cannot enter ${dir}: give its parent directories o+x, or choose a --workdir it can reach (e.g. /var/lib/ambit)`,
    );
  }
}
