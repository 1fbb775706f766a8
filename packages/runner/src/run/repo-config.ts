import type { Backend } from "../backends/types.ts";
import { git } from "./git.ts";

// A repository the agent had in its hands may hold any config: a `filter.<x>.clean`, a
// `diff.<x>.textconv`, an `include.path`, `core.worktree`… — more keys name programs than `-c`
// can switch off one by one. So before the runner's own git commands touch such a repository, its
// config is replaced with one the runner writes: the format, and nothing else. Both steps run in
// the run's backend, as the agent would, so a `.git` that is a link leads nowhere the agent
// could not go itself.

/** Only these of the repository's config survive (git needs them to read the repository). */
const KEPT = new Set(["core.repositoryformatversion", "extensions.objectformat"]);

export type SanitizedRepo = { ok: true; remote: string | null } | { ok: false; why: string };

/**
 * Replaces `<repo>/.git/config` with the runner's own (format and object format kept; hooks,
 * filters, drivers, helpers, includes, worktree and remotes dropped). Answers the former
 * `remote.origin.url` (for the caller to check before any push), or why the repository is left alone.
 */
export async function sanitizeRepoConfig(
  backend: Backend,
  repo: string,
  signal?: AbortSignal,
): Promise<SanitizedRepo> {
  const plain = await run(
    backend,
    repo,
    'test -d "$1/.git" && ! test -L "$1/.git" && ! test -e "$1/.git/commondir" && test -f "$1/.git/config"',
    "",
    signal,
  );
  if (!plain)
    return {
      ok: false,
      why: "its .git is not a plain repository directory (a link, a gitdir file or a linked worktree)",
    };
  const listed = await git(
    backend,
    ["config", "--file", `${repo}/.git/config`, "--no-includes", "--null", "--list"],
    { cwd: repo, signal },
  );
  if (!listed.ok)
    return { ok: false, why: `its config cannot be read (${listed.stderr.trim().slice(-200)})` };
  const entries = listed.stdout
    .split("\0")
    .filter(Boolean)
    .map((e): [string, string] => {
      const nl = e.indexOf("\n");
      return nl < 0 ? [e.toLowerCase(), ""] : [e.slice(0, nl).toLowerCase(), e.slice(nl + 1)];
    });
  const kept = new Map(entries.filter(([k, v]) => KEPT.has(k) && /^[A-Za-z0-9]+$/.test(v)));
  const config = [
    "[core]",
    `\trepositoryformatversion = ${kept.get("core.repositoryformatversion") ?? "0"}`,
    "\tbare = false",
    "\tlogallrefupdates = true",
    ...(kept.has("extensions.objectformat")
      ? ["[extensions]", `\tobjectformat = ${kept.get("extensions.objectformat")}`]
      : []),
  ].join("\n");
  if (!(await run(backend, repo, 'cat > "$1/.git/config"', `${config}\n`, signal)))
    return { ok: false, why: "its config could not be replaced" };
  const remote = entries.findLast(([k]) => k === "remote.origin.url")?.[1] ?? null;
  return { ok: true, remote };
}

/** `sh -c script sh repo` in the backend with `input` on stdin; true when it exits 0. */
async function run(
  backend: Backend,
  repo: string,
  script: string,
  input: string,
  signal?: AbortSignal,
): Promise<boolean> {
  const p = backend.spawn("sh", ["-c", script, "sh", repo], { cwd: repo, signal });
  p.stdout.resume();
  p.stderr.resume();
  p.stdin.end(input);
  return (await p.wait()).exitCode === 0;
}
