import {
  chownSync,
  closeSync,
  fchownSync,
  mkdirSync,
  openSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import path from "node:path";
import { forEachChunk, forEachLine } from "../streams.ts";
import { tail } from "../tools/types.ts";
import type { Harness, HarnessContext, HarnessOutcome } from "../types.ts";
import { hostLostNotice } from "../prompt.ts";
import { cliMcpServers, stripAnsi } from "./common.ts";
import { restoreSession, saveSession, sessionEnv } from "./sessions.ts";
import type { CliMcpHandoff, CliSpec } from "./types.ts";

/**
 * Runs a vendor agent CLI headless in the run's backend and normalizes its JSON lines into our
 * events. Follow-ups that arrived while it ran resume the CLI's session once it has finished.
 */
export function cliHarness(spec: CliSpec): Harness {
  return { type: spec.type, run: (ctx) => runCli(spec, ctx) };
}

async function runCli(spec: CliSpec, ctx: HarnessContext): Promise<HarnessOutcome> {
  const creds = spec.credentials(ctx);
  if (!creds.ok)
    return { state: "FAILED", message: creds.message, error_code: "integration_not_configured" };
  let mcp: CliMcpHandoff;
  try {
    const own = spec.mcp(cliMcpServers(ctx), ctx, ctx.backend.privateDir);
    const conf = spec.config?.(ctx, ctx.backend.privateDir);
    // the CLI's configuration first, then the MCP servers (whose `-c` flags come after)
    mcp = {
      args: [...(conf?.args ?? []), ...own.args],
      env: { ...conf?.env, ...own.env },
      files: { ...conf?.files, ...own.files },
    };
  } catch (err) {
    return {
      state: "FAILED",
      message: (err as Error).message,
      error_code: "environment_setup_failed",
    };
  }
  try {
    // wx: a fresh file, never one planted at that path; 0600 though the directory is 0700 already
    for (const [file, content] of Object.entries(mcp.files)) {
      makeParents(ctx, path.dirname(file));
      const fd = openSync(file, "wx", 0o600);
      try {
        writeFileSync(fd, content);
        // the CLI runs as the backend's user (--agent-user): the file is its to read, still nobody else's
        if (ctx.backend.owner) fchownSync(fd, ctx.backend.owner.uid, ctx.backend.owner.gid);
      } finally {
        closeSync(fd);
      }
    }
    return await converse(spec, ctx, creds.env, mcp);
  } finally {
    // whatever the end (success, failure, cancel, a throw): the secrets leave the disk with the CLI
    for (const file of Object.keys(mcp.files)) rmSync(file, { force: true });
  }
}

/** The folders above a file of the private directory, made 0700 and the backend user's. */
function makeParents(ctx: HarnessContext, dir: string) {
  const root = ctx.backend.privateDir;
  if (dir === root || !dir.startsWith(`${root}${path.sep}`)) return;
  makeParents(ctx, path.dirname(dir));
  mkdirSync(dir, { mode: 0o700, recursive: true });
  if (ctx.backend.owner) chownSync(dir, ctx.backend.owner.uid, ctx.backend.owner.gid);
}

async function converse(
  spec: CliSpec,
  ctx: HarnessContext,
  credsEnv: Record<string, string>,
  mcp: CliMcpHandoff,
): Promise<HarnessOutcome> {
  let prompt = ctx.prompt;
  // a resumed execution whose checkpoint holds the CLI's session goes on with it
  let resume = await restoreSession(spec, ctx);
  if (resume) prompt = await resumedPrompt(ctx);
  for (;;) {
    const started = Date.now();
    let args: string[];
    try {
      args = spec.args(ctx, prompt, resume, mcp.args);
    } catch (err) {
      return {
        state: "FAILED",
        message: (err as Error).message,
        error_code: "environment_setup_failed",
      };
    }
    const p = ctx.backend.spawn(spec.bin, args, {
      env: { ...spec.env?.(ctx), ...sessionEnv(spec, ctx), ...mcp.env, ...credsEnv },
      signal: ctx.signal,
    });
    p.stdin.end();
    // vendor CLIs colour their messages: no terminal codes reach an event
    const parser = spec.parser((e) => {
      const p = e.payload as Record<string, unknown>;
      for (const k of ["message", "text"])
        if (typeof p[k] === "string") p[k] = stripAnsi(p[k] as string);
      ctx.emit(e);
    }, ctx);
    let stopped = false;
    let stderr = "";
    const readStdout = forEachLine(p.stdout, (line) => {
      if (!line.trim()) return;
      let obj: unknown;
      try {
        obj = JSON.parse(line);
      } catch {
        // not one of the CLI's events (a warning, a banner): keep it visible as output
        ctx.emit({ type: "command.output", payload: { stream: "stdout", chunk: `${line}\n` } });
        return;
      }
      if (obj && typeof obj === "object") parser.line(obj as Record<string, any>);
      if (parser.stop && parser.error && !stopped) {
        stopped = true;
        p.kill("SIGTERM");
      }
    });
    const readStderr = forEachChunk(p.stderr, (chunk) => {
      stderr = (stderr + chunk).slice(-8000);
      ctx.emit({ type: "command.output", payload: { stream: "stderr", chunk } });
    });
    const [status] = await Promise.all([p.wait(), readStdout, readStderr]);
    // a refused key: the model answered nothing, the session has nothing new to keep (and
    // OpenCode's export would hold up the failure by seconds)
    if (parser.errorCode !== "model_auth_failed")
      await saveSession(spec, ctx, parser.sessionId ?? resume);
    if (ctx.signal.aborted)
      return { state: "CANCELLED", message: `the run was cancelled; ${spec.bin} was stopped` };
    if (status.exitCode === 127) {
      return {
        state: "FAILED",
        message: `the ${spec.bin} CLI is not installed where this run executes (${ctx.backend.kind} backend): ${spec.install}`,
        error_code: "environment_setup_failed",
      };
    }
    if (status.exitCode !== 0 || parser.error) {
      const why = stripAnsi(
        parser.error ?? parser.hint ?? (tail(stderr.trim(), 2000) || "no error output"),
      );
      const how = stopped
        ? "was stopped"
        : status.exitCode === null
          ? `was killed by ${status.signal}`
          : `exited with code ${status.exitCode}`;
      return {
        state: "FAILED",
        message: `${spec.bin} ${how} after ${Math.round((Date.now() - started) / 1000)} s: ${why}`,
        ...(parser.errorCode ? { error_code: parser.errorCode } : {}),
      };
    }
    const followups = ctx.followups.drain();
    if (!followups.length)
      return {
        state: "SUCCEEDED",
        message: parser.finalText || `${spec.bin} finished without a final message`,
      };
    // a follow-up boundary: what the agent did in its turn is checkpointed before the next
    ctx.checkpoint?.("turn");
    // resume the CLI's conversation; without a session id, start over with the whole exchange
    resume = parser.sessionId ?? resume;
    prompt = resume
      ? followups.join("\n\n")
      : `${ctx.prompt}\n\nYou answered:\n${parser.finalText}\n\nFollow-up:\n${followups.join("\n\n")}`;
  }
}

/** How long a resumed execution waits for the follow-up that started it. */
const FOLLOWUP_WAIT_MS = 60_000;

/**
 * What a CLI resuming its session is told first: the follow-ups that started this execution, or
 * (a lost host) to continue where the checkpoint left it.
 */
async function resumedPrompt(ctx: HarnessContext): Promise<string> {
  const r = ctx.resume!;
  if (r.reason === "host_lost")
    return [hostLostNotice(r.checkpointAt), ...ctx.followups.drain()].join("\n\n");
  const now = ctx.followups.drain();
  if (now.length) return now.join("\n\n");
  const signal = AbortSignal.any([ctx.signal, AbortSignal.timeout(FOLLOWUP_WAIT_MS)]);
  return ctx.followups.next(signal).catch(() => "Continue the task.");
}
