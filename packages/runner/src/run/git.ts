import type { Backend } from "../backends/types.ts";
import type { Tail } from "./output.ts";

// Every git command of a run runs in the run's backend (its container, or its clean environment
// and user on this machine), never as the runner on the host: a repository the agent touched can
// then do no more than the agent itself. On top of that, git is told not to run anything a
// repository (or the run's variables) could name: no hooks, no fsmonitor, no pager, editor,
// askpass, credential helper, external diff, signing program or ssh command but ours, no system
// or global config, and only network transports (`file` too with --allow-local-repos; never
// `ext::`). The repository's own config is replaced before use (repo-config.ts).

const SHORTHAND = /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/;

/** A repository URL as git takes it: `owner/repo` means GitHub. */
export function cloneUrlOf(
  url: string,
  githubUrl = process.env.AMBIT_GITHUB_URL ?? "https://github.com",
): string {
  if (SHORTHAND.test(url) && !url.startsWith("."))
    return `${githubUrl.replace(/\/$/, "")}/${url}.git`;
  return url;
}

/**
 * Why git may not use `url` (a clone or push target), or null when it may. Network URLs only:
 * `https://`, `http://`, `ssh://`, `git://` and `user@host:path`; a local path or `file://` only
 * with `allowLocal` (`--allow-local-repos`); `ext::`, `fd::` and other transports never. Nothing
 * that begins with `-` (git would read it as an option), no whitespace or control characters.
 */
export function repoUrlProblem(url: string, allowLocal = false): string | null {
  const refuse = (why: string) =>
    `the repository URL '${url.slice(0, 200)}' is not allowed: ${why}`;
  if (!url) return refuse("it is empty");
  if (url.startsWith("-")) return refuse("it begins with '-', which git would read as an option");
  if (/^[A-Za-z][A-Za-z0-9+.-]*::/.test(url))
    return refuse(
      "git remote helpers (`ext::`, `fd::`, …) can run commands; use a network URL (https://, ssh://)",
    );
  if (/[\s\x00-\x1f\x7f]/.test(url)) return refuse("it holds whitespace or control characters");
  const local =
    "a local path or file:// URL reads this machine's disk; use a network URL (https://, ssh://, git@host:path), or start the runner with --allow-local-repos on a machine whose disk the run may read";
  const scheme = url.match(/^([A-Za-z][A-Za-z0-9+.-]*):\/\//)?.[1]?.toLowerCase();
  if (scheme) {
    if (scheme === "file") return allowLocal ? null : refuse(local);
    if (!["https", "http", "ssh", "git"].includes(scheme))
      return refuse(`the ${scheme}:// transport is not supported; use https:// or ssh://`);
    let host = "";
    try {
      host = new URL(url).hostname;
    } catch {
      return refuse("it is not a valid URL");
    }
    if (!host || host.startsWith("-")) return refuse("its host is missing or begins with '-'");
    return null;
  }
  // scp-like `[user@]host:path` (git's rule: a colon before any slash)
  const scp = url.match(/^(?:([^@/:]+)@)?([^/:]+):/);
  if (scp && !url.startsWith("/"))
    return /^[A-Za-z0-9_.][A-Za-z0-9_.-]*$/.test(scp[2]) && !scp[1]?.startsWith("-")
      ? null
      : refuse("its host is not a host name");
  return allowLocal ? null : refuse(local);
}

/**
 * Why `ref` is not a ref git may check out, or null: a branch, tag or commit name by git's rules
 * (`git check-ref-format`), never beginning with `-` (git would read it as an option, e.g.
 * `--pathspec-from-file=<host file>`).
 */
export function refProblem(ref: string): string | null {
  const refuse = (why: string) =>
    `the ref '${ref.slice(0, 200)}' is not a valid git ref: ${why}; use a branch, tag or commit name`;
  if (!ref) return refuse("it is empty");
  if (ref.startsWith("-")) return refuse("it begins with '-', which git would read as an option");
  if (ref.length > 255) return refuse("it is longer than 255 characters");
  if (/[\s\x00-\x1f\x7f~^:?*[\\]/.test(ref))
    return refuse("it holds whitespace, a control character or one of ~ ^ : ? * [ \\");
  if (ref.includes("..") || ref.includes("@{") || ref.includes("//") || ref === "@")
    return refuse("it holds '..', '@{' or '//'");
  if (/(^|\/)\./.test(ref) || /[/.]$/.test(ref) || /\.lock(\/|$)/.test(ref))
    return refuse("a part begins with '.', ends with '.lock', or it ends with '/' or '.'");
  return null;
}

/** The directory a repository is cloned into: its last path segment without `.git`. */
export function repoDirName(url: string): string {
  const last =
    url
      .replace(/[/\\]+$/, "")
      .split(/[/\\:]/)
      .pop() ?? "repo";
  const name = last.replace(/\.git$/, "");
  return name && !name.startsWith(".") && !name.startsWith("-") ? name : "repo";
}

/** `owner/repo` when `url` is a GitHub repository (github.com, or `AMBIT_GITHUB_URL`'s host). */
export function githubRepoOf(
  url: string,
  githubUrl = process.env.AMBIT_GITHUB_URL ?? "https://github.com",
): string | null {
  const hosts = new Set(["github.com", safeHost(githubUrl)]);
  const m = url.match(
    /^(?:https?:\/\/(?:[^@/]+@)?([^/]+)\/|git@([^:]+):)([^/]+)\/([^/]+?)(?:\.git)?\/?$/,
  );
  if (!m) return null;
  const host = m[1] ?? m[2];
  return hosts.has(host) ? `${m[3]}/${m[4]}` : null;
}

const safeHost = (u: string) => {
  try {
    return new URL(u).host;
  } catch {
    return "github.com";
  }
};

/**
 * Variables that make git authenticate to GitHub with `token` (an `http.extraHeader`, given
 * through the environment, so the token is never written into a repository's config nor argv).
 */
export function gitAuthEnv(token: string | undefined): Record<string, string> {
  if (!token) return { GIT_CONFIG_COUNT: "0" };
  const basic = Buffer.from(`x-access-token:${token}`).toString("base64");
  return {
    GIT_CONFIG_COUNT: "1",
    GIT_CONFIG_KEY_0: "http.extraHeader",
    GIT_CONFIG_VALUE_0: `Authorization: Basic ${basic}`,
  };
}

/** `-c` settings before every git command: whatever a repository's config says, none of these run a program. */
const HARDENING = [
  "core.fsmonitor=",
  "core.hooksPath=/dev/null",
  "core.pager=cat",
  "core.editor=true",
  "sequence.editor=true",
  "core.askPass=",
  "core.sshCommand=ssh -o BatchMode=yes",
  "core.gitProxy=",
  "credential.helper=",
  "diff.external=",
  "commit.gpgSign=false",
  "tag.gpgSign=false",
  "push.gpgSign=false",
  "log.showSignature=false",
  "gpg.program=false",
  "gpg.ssh.program=false",
  "gpg.x509.program=false",
  "submodule.recurse=false",
  "advice.detachedHead=false",
  "init.templateDir=",
].flatMap((kv) => ["-c", kv]);

/** The environment of every git command, over the run's: no system or global config, no prompts, our committer. */
function gitEnv(allowLocal: boolean): Record<string, string> {
  return {
    GIT_CONFIG_NOSYSTEM: "1",
    GIT_CONFIG_GLOBAL: "/dev/null",
    GIT_CONFIG_PARAMETERS: "",
    GIT_CONFIG_COUNT: "0",
    // the transports git may use, whatever url.<x>.insteadOf or a remote helper says
    GIT_ALLOW_PROTOCOL: allowLocal ? "https:http:ssh:git:file" : "https:http:ssh:git",
    GIT_TERMINAL_PROMPT: "0",
    GIT_ASKPASS: "",
    SSH_ASKPASS: "",
    GIT_SSH_COMMAND: "ssh -o BatchMode=yes",
    GIT_SSH: "",
    GIT_PAGER: "cat",
    PAGER: "cat",
    GIT_EDITOR: "true",
    GIT_EXTERNAL_DIFF: "",
    GIT_PROXY_COMMAND: "",
    GIT_AUTHOR_NAME: "Ambit",
    GIT_AUTHOR_EMAIL: "ambit@localhost",
    GIT_COMMITTER_NAME: "Ambit",
    GIT_COMMITTER_EMAIL: "ambit@localhost",
  };
}

export type GitOptions = {
  cwd: string;
  /** the repository: git is pointed at `<repo>/.git` and `<repo>`, never discovers one (unset for clone) */
  repo?: string;
  /** added over the hardened environment (e.g. gitAuthEnv) */
  env?: Record<string, string>;
  allowLocal?: boolean;
  signal?: AbortSignal;
  tail?: Tail;
  onOutput?: (stream: "stdout" | "stderr", chunk: string) => void;
};

/**
 * Runs `git <args>` in the run's backend, hardened (see above), and collects its output. Callers
 * put `--` (or `--end-of-options`) before every value that comes from the run.
 */
export async function git(backend: Backend, args: string[], opts: GitOptions) {
  const where: Record<string, string> = opts.repo
    ? { GIT_DIR: `${opts.repo}/.git`, GIT_WORK_TREE: opts.repo }
    : {};
  const env = { ...gitEnv(!!opts.allowLocal), ...where, ...opts.env };
  const p = backend.spawn("git", [...HARDENING, ...args], {
    cwd: opts.cwd,
    env,
    signal: opts.signal,
  });
  p.stdin.end();
  let stdout = "";
  let stderr = "";
  p.stdout.setEncoding("utf8");
  p.stderr.setEncoding("utf8");
  p.stdout.on("data", (c: string) => {
    stdout += c;
    opts.tail?.add(c);
    opts.onOutput?.("stdout", c);
  });
  p.stderr.on("data", (c: string) => {
    stderr += c;
    opts.tail?.add(c);
    opts.onOutput?.("stderr", c);
  });
  const status = await p.wait();
  if (status.exitCode === 127) {
    // the shell's "command not found": a run's git runs where its commands run (its container)
    const why = `\n${NO_GIT}\n`;
    stderr += why;
    opts.tail?.add(why);
    opts.onOutput?.("stderr", why);
  }
  return { ...status, stdout, stderr, ok: status.exitCode === 0 };
}

/** What a run whose image has no git is told (the docker backend's default `ubuntu:24.04` has none). */
export const NO_GIT =
  "git was not found where this run's commands run: with --backend docker, git runs inside the run's image; use an image with git (e.g. buildpack-deps:scm), or set the environment's docker_image to one";
