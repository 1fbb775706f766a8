import { APIConnectionError, APIError, AmbitError } from "@ambit/sdk";
import { CliError, UsageError } from "./command.ts";
import { EXIT } from "./exit-codes.ts";
import { painter, type Io } from "./output.ts";

type Explained = { message: string; details: string[]; hint?: string; exitCode: number };

/** What to do about an API error code, when the server's message does not already say it. */
const HINTS: Record<string, string> = {
  authentication_required:
    "check the key: run `ambit login` again, or set AMBIT_API_KEY to a valid key (`ambit whoami` shows which one is used)",
  not_authorized:
    "your key's role is too low for this; ask a team admin (see `ambit member list`) to raise it or to do it for you",
  resource_not_found:
    "check the id (`ambit run list` lists the runs you can see); another team's or another member's personal resource is not visible",
  feature_not_available: "this server has the feature turned off; ask its operator",
  invalid_request:
    "correct the values named above and run it again (the command's --help shows what each flag takes)",
  conflict:
    "it already exists: change it with the matching `update` (or `set`) command, or pick another name",
  idempotency_key_reused: "the Idempotency-Key was used for a different request; use a new key",
  server_misconfigured:
    "the server is missing configuration; its operator must fix it (see the message)",
};

/** Turns any failure into a message, the fix, and an exit code. */
export function explain(err: unknown, io: Io): Explained {
  if (err instanceof UsageError) {
    return {
      message: err.message,
      details: [],
      hint: err.helpFor ? `see \`${err.helpFor} --help\`` : "see `ambit --help`",
      exitCode: EXIT.USAGE,
    };
  }
  if (err instanceof CliError)
    return { message: err.message, details: [], hint: err.hint, exitCode: err.exitCode };
  if (err instanceof APIError) {
    const code = err.error_code ?? `HTTP ${err.status}`;
    const text =
      err.detail ??
      err.title ??
      (typeof err.error === "string" && err.error
        ? err.error.slice(0, 300)
        : `the server answered ${err.status}`);
    const exitCode =
      err.status === 401
        ? EXIT.AUTH
        : err.status === 403
          ? EXIT.PERMISSION
          : err.status === 404
            ? EXIT.NOT_FOUND
            : EXIT.ERROR;
    const details = (err.errors ?? []).map((e) => `${e.path}: ${e.message}`);
    if (err.trace_id) details.push(`trace id: ${err.trace_id}`);
    return {
      message: `${text} (${code})`,
      details,
      hint: err.error_code ? HINTS[err.error_code] : undefined,
      exitCode,
    };
  }
  if (err instanceof APIConnectionError) {
    const url = io.env.AMBIT_BASE_URL ? "AMBIT_BASE_URL" : "the URL stored by `ambit login`";
    return {
      message: err.message,
      details: [],
      hint: `is the Ambit server running and reachable? Start it with \`npm start\`, or point ${url} at it (\`ambit login --url <url>\`)`,
      exitCode: EXIT.UNREACHABLE,
    };
  }
  if (err instanceof AmbitError) return { message: err.message, details: [], exitCode: EXIT.ERROR };
  return {
    message: err instanceof Error ? err.message : String(err),
    details: [],
    exitCode: EXIT.ERROR,
  };
}

/** Prints the error to stderr (as JSON with --json) and answers the exit code. */
export function reportError(err: unknown, io: Io, json: boolean): number {
  const e = explain(err, io);
  if (json) {
    const body = err instanceof APIError && typeof err.error === "object" ? err.error : undefined;
    io.err.write(
      `${JSON.stringify({ error: { message: e.message, hint: e.hint, exit_code: e.exitCode, ...(body ? { problem: body } : {}) } }, null, 2)}\n`,
    );
    return e.exitCode;
  }
  const paint = painter(io.err, io.env);
  io.err.write(`${paint("red", "error:")} ${e.message}\n`);
  for (const d of e.details) io.err.write(`  ${d}\n`);
  if (e.hint) io.err.write(`${paint("yellow", "fix:")} ${e.hint}\n`);
  return e.exitCode;
}
