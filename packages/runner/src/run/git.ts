import { existsSync } from "node:fs";
import path from "node:path";
import { spawnTree } from "../backends/process.ts";
import { type Tail } from "./output.ts";

const SHORTHAND = /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/;

/** A repository URL as git takes it: `owner/repo` means GitHub; a local path stays a path. */
export function cloneUrlOf(url: string, githubUrl = process.env.AMBIT_GITHUB_URL ?? "https://github.com"): string {
  if (SHORTHAND.test(url) && !existsSync(url)) return `${githubUrl.replace(/\/$/, "")}/${url}.git`;
  return url;
}

/** The directory a repository is cloned into: its last path segment without `.git`. */
export function repoDirName(url: string): string {
  const last = url.replace(/[/\\]+$/, "").split(/[/\\:]/).pop() ?? "repo";
  return last.replace(/\.git$/, "") || "repo";
}

/** `owner/repo` when `url` is a GitHub repository (github.com, or `AMBIT_GITHUB_URL`'s host). */
export function githubRepoOf(url: string, githubUrl = process.env.AMBIT_GITHUB_URL ?? "https://github.com"): string | null {
  const hosts = new Set(["github.com", safeHost(githubUrl)]);
  const m = url.match(/^(?:https?:\/\/(?:[^@/]+@)?([^/]+)\/|git@([^:]+):)([^/]+)\/([^/]+?)(?:\.git)?\/?$/);
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
 * through the environment, so the token is never written into a repository's config).
 */
export function gitAuthEnv(token: string | undefined): Record<string, string> {
  if (!token) return {};
  const basic = Buffer.from(`x-access-token:${token}`).toString("base64");
  return { GIT_CONFIG_COUNT: "1", GIT_CONFIG_KEY_0: "http.extraHeader", GIT_CONFIG_VALUE_0: `Authorization: Basic ${basic}` };
}

/** Runs git on this machine (not in the run's backend: an image need not have git) and collects its output. */
export async function git(args: string[], opts: { cwd: string; env: Record<string, string>; signal?: AbortSignal; tail?: Tail; onOutput?: (stream: "stdout" | "stderr", chunk: string) => void }) {
  const env = { ...opts.env, GIT_TERMINAL_PROMPT: "0", GIT_AUTHOR_NAME: "Ambit", GIT_AUTHOR_EMAIL: "ambit@localhost", GIT_COMMITTER_NAME: "Ambit", GIT_COMMITTER_EMAIL: "ambit@localhost" };
  const p = spawnTree("git", args, { cwd: opts.cwd, signal: opts.signal }, env);
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
  return { ...status, stdout, stderr, ok: status.exitCode === 0 };
}

export const isLocalPath = (url: string) => path.isAbsolute(url) || url.startsWith("./") || url.startsWith("../") || url.startsWith("file://");
