// Finding 1 (the runner's side): nothing the agent runs may read the host credential. The
// platform's runner container held its credential as AMBIT_API_KEY of the runner (pid 1), and the
// agent's processes ran as the same user, so `/proc/1/environ` handed it over. Now the agent's
// processes run as another, unprivileged user (`--agent-user`; the runner image runs its runner as
// root with `--agent-user agent`), and the kernel keeps them out of the runner's environ. This
// drives a real runner process (test/fakes/runner-process.ts, the shell test harness) with a fake
// platform; it needs root to switch users, as the runner does.
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { startFakePlatform } from "../../fakes/platform.ts";

const ROOT = path.resolve(import.meta.dirname, "../../..");
const CREDENTIAL = "ambit_host_credential_c0ffee1234";
const AGENT = "nobody";
const root = process.getuid?.() === 0;
const hasAgent = (() => {
  try {
    execFileSync("id", ["-u", AGENT], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
})();
const skipped = !root
  ? "skipped: needs root (the runner switches the agent's processes to another user)"
  : !hasAgent
    ? `skipped: needs the user ${AGENT}`
    : null;

let child: ChildProcess | undefined;
let dir = "";
afterEach(() => {
  if (child && child.exitCode === null) child.kill("SIGKILL");
  rmSync(dir, { recursive: true, force: true });
});

/** Runs `commands` as a run's agent on a runner holding CREDENTIAL; answers what the agent printed. */
async function agentSees(agentUser: string | undefined, commands: (runnerPid: number) => string[]) {
  dir = mkdtempSync(path.join(tmpdir(), "ambit-sec-cred-"));
  chmodSync(dir, 0o755); // the agent's user must reach <workdir>/runs
  const platform = await startFakePlatform("run_cred");
  child = spawn(
    process.execPath,
    [path.join(ROOT, "test/fakes/runner-process.ts"), platform.url, "w", path.join(dir, "work")],
    {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        AMBIT_API_KEY: CREDENTIAL,
        ...(agentUser ? { RUNNER_AGENT_USER: agentUser } : {}),
      },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let out = "";
  child.stdout!.on("data", (d) => (out += d));
  child.stderr!.on("data", (d) => (out += d));
  // the prompt names the runner's pid, known now; the runner claims the run only after its hello
  platform.assignment.task.prompt = commands(child.pid!).join("\n");
  const deadline = Date.now() + 30_000;
  while (!platform.reports.some((r) => r.type === "task_completed" || r.type === "task_failed")) {
    if (Date.now() > deadline || child.exitCode !== null)
      throw new Error(`the run did not end; runner output:\n${out}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  await new Promise((r) => setTimeout(r, 300)); // the last events' acknowledgements
  const printed = platform.events
    .filter((e) => e.type === "command.output")
    .map((e) => String(e.payload.chunk))
    .join("");
  await platform.close();
  return printed;
}

const probe = (pid: number) => [
  'echo "uid=$(id -u)"',
  `cat /proc/${pid}/environ 2>&1 | tr '\\0' '\\n'; true`,
  "env",
  `cat /proc/${pid}/cmdline 2>&1 | tr '\\0' ' '; echo`,
];

describe.skipIf(skipped !== null)(
  `finding 1: the agent cannot read the host credential${skipped ? ` (${skipped})` : ""}`,
  () => {
    it("with --agent-user, an agent command runs as that user and reads the credential neither from /proc/<runner>/environ nor from its environment", async () => {
      const seen = await agentSees(AGENT, probe);
      expect(seen).toContain(`uid=${execFileSync("id", ["-u", AGENT]).toString().trim()}`);
      expect(seen).toMatch(/Permission denied/);
      expect(seen).not.toContain(CREDENTIAL);
      expect(seen).not.toContain("AMBIT_API_KEY");
    });

    it("without it (the runner's own user) the same command reads it: what the option is for", async () => {
      const seen = await agentSees(undefined, probe);
      expect(seen).toContain("uid=0");
      expect(seen).toContain(`AMBIT_API_KEY=${CREDENTIAL}`);
    });

    it("the runner refuses --agent-user it cannot use: unknown, root", async () => {
      for (const [user, message] of [
        ["no-such-user-x", /no such user/],
        ["root", /is root/],
      ] as const) {
        dir = mkdtempSync(path.join(tmpdir(), "ambit-sec-cred-"));
        const r = (() => {
          try {
            execFileSync(
              process.execPath,
              [
                path.join(ROOT, "packages/runner/src/bin.ts"),
                "host",
                "start",
                "--url",
                "http://127.0.0.1:9",
                "--worker-id",
                "w",
                "--workdir",
                dir,
                "--agent-user",
                user,
              ],
              {
                env: { ...process.env, AMBIT_API_KEY: "k" },
                stdio: ["ignore", "pipe", "pipe"],
                timeout: 20_000,
              },
            );
            return "";
          } catch (err) {
            return String((err as { stderr: Buffer }).stderr);
          }
        })();
        expect(r).toMatch(message);
        rmSync(dir, { recursive: true, force: true });
      }
    });
  },
);
