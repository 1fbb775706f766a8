import { existsSync, lstatSync, readdirSync } from "node:fs";
import path from "node:path";
import type { ArtifactType, TaskAssignment } from "@ambit/protocol";
import { readInside } from "../backends/confined-fs.ts";
import type { HarnessEvent } from "../harness/types.ts";
import { capDiff, diffRevisions, MAX_DIFF_BYTES } from "./diff-artifact.ts";
import { git, gitAuthEnv, githubRepoOf, repoUrlProblem } from "./git.ts";
import type { Prepared } from "./prepare.ts";
import { sanitizeRepoConfig } from "./repo-config.ts";
import { keepChangedFiles } from "./workspace-files.ts";

/** Largest file the platform takes (its upload limit); bigger ones are reported, not uploaded. */
export const MAX_UPLOAD_BYTES = 25 * 1024 * 1024;

export type ArtifactOptions = {
  /** the platform, e.g. `http://localhost:8787` */
  baseUrl: string;
  /** GitHub's REST API (default `AMBIT_GITHUB_API_URL` or https://api.github.com) */
  githubApiUrl?: string;
  /** GitHub's web/git host, to recognise GitHub remotes (default `AMBIT_GITHUB_URL` or https://github.com) */
  githubUrl?: string;
  /** push to local paths and file:// remotes too (`--allow-local-repos`: tests, a machine whose disk runs may write) */
  allowLocalRepos?: boolean;
};

export type CollectInput = {
  assignment: TaskAssignment;
  /** the backend runs the git commands (in the run's container, or its environment and user) */
  prepared: Pick<Prepared, "workspace" | "env" | "repos" | "backend" | "before">;
  emit: (e: HarnessEvent) => void;
  signal: AbortSignal;
  /** secret values replaced in text that leaves the host (diffs) */
  redact?: (text: string) => string;
  /** how to authenticate to the platform (default: the run's HOST token) */
  authorization?: string;
};

type Reported = { artifact_type: ArtifactType; data: Record<string, unknown> };

/**
 * After the harness: every workspace repository with changes is committed to `ambit/<run_id>`
 * and pushed where credentials allow; a GitHub remote with a `GITHUB_TOKEN` secret gets a pull
 * request (`PULL_REQUEST` artifact); every changed repository's diff against where the run
 * started is uploaded too (`FILE` `<repo>.diff`, at most 2 MiB: diff-artifact.ts). Files the
 * agent wrote under `artifacts/` are uploaded as `FILE` artifacts, and so, in a run without
 * repositories, are the files it created or changed in the workspace (`workspace-files.ts`). Each
 * becomes an `artifact.created` event.
 */
export function artifactCollector(opts: ArtifactOptions) {
  const githubApi = (
    opts.githubApiUrl ??
    process.env.AMBIT_GITHUB_API_URL ??
    "https://api.github.com"
  ).replace(/\/$/, "");
  const githubUrl = opts.githubUrl ?? process.env.AMBIT_GITHUB_URL ?? "https://github.com";
  const base = opts.baseUrl.replace(/\/$/, "");

  return async function collectArtifacts(input: CollectInput): Promise<Reported[]> {
    const { assignment: a, prepared, emit, signal } = input;
    const redact = input.redact ?? ((s: string) => s);
    const auth = input.authorization ?? `Bearer ${a.session.token}`;
    const runUrl = `${base}/api/v1/agent/runs/${encodeURIComponent(a.run_id)}/artifacts`;
    const reported: Reported[] = [];
    const note = (r: Reported) => {
      reported.push(r);
      emit({ type: "artifact.created", payload: r });
    };
    const warn = (message: string) =>
      emit({ type: "error", payload: { message: redact(message), retryable: false } });

    const upload = async (
      bytes: Uint8Array<ArrayBuffer> | string,
      q: Record<string, string>,
      contentType: string,
    ) => {
      const res = await fetch(`${runUrl}/files?${new URLSearchParams(q)}`, {
        method: "POST",
        headers: { authorization: auth, "content-type": contentType },
        body: bytes,
        signal,
      });
      const body = (await res.json().catch(() => ({}))) as {
        artifact_type?: ArtifactType;
        data?: Record<string, unknown>;
        detail?: string;
      };
      if (res.status !== 201)
        throw new Error(
          `uploading ${q.filename} failed (${res.status}): ${body.detail ?? "no detail"}`,
        );
      note({ artifact_type: "FILE", data: body.data ?? {} });
    };

    const branch = a.execution_id > 1 ? `ambit/${a.run_id}-${a.execution_id}` : `ambit/${a.run_id}`;
    const allowLocal = !!opts.allowLocalRepos;
    for (const dir of repositoriesIn(
      prepared.workspace,
      prepared.repos.map((r) => r.dir),
    )) {
      const name = path.basename(dir);
      // the agent had this repository in its hands: its config goes before git reads it
      const clean = await sanitizeRepoConfig(prepared.backend, dir, signal);
      if (!clean.ok) {
        warn(`Left ${name} alone: ${clean.why}`);
        continue;
      }
      const g = (args: string[], env?: Record<string, string>) =>
        git(prepared.backend, args, { cwd: dir, repo: dir, env, allowLocal, signal });
      const status = await g(["status", "--porcelain"]);
      if (!status.ok) continue;
      const dirty = !!status.stdout.trim();
      const start = prepared.repos.find((r) => r.dir === dir)?.base;
      const headOf = async () =>
        (await g(["rev-parse", "--verify", "--quiet", "HEAD^{commit}"])).stdout.trim();
      const baseSha = await headOf();
      // changed: uncommitted changes, or commits of the agent's own past where the run started
      if (!dirty && (!start || baseSha === start)) continue;
      const baseRef = (await g(["rev-parse", "--abbrev-ref", "HEAD"])).stdout.trim();
      await g(["checkout", "--quiet", "-B", branch, "--"]);
      if (dirty) {
        await g(["add", "-A"]);
        const commit = await g([
          "commit",
          "--quiet",
          "--no-verify",
          "-m",
          `${a.task.title}\n\nMade by Ambit run ${a.run_id}.`,
        ]);
        if (!commit.ok) {
          warn(`Could not commit the changes in ${name}: ${commit.stderr.trim().slice(-500)}`);
          continue;
        }
      }
      // an environment's repository is pushed where it was cloned from; one the agent made, to its origin if that is allowed
      const remote = prepared.repos.find((r) => r.dir === dir)?.cloneUrl ?? clean.remote;
      const refused = remote ? repoUrlProblem(remote, allowLocal) : null;
      if (refused) warn(`Did not push ${name}: ${refused}`);
      const github = remote && !refused ? githubRepoOf(remote, githubUrl) : null;
      const token = prepared.env.GITHUB_TOKEN;
      let pushed = false;
      if (remote && !refused && (!github || token)) {
        const push = await g(
          ["push", "--quiet", "--no-verify", "--", remote, `HEAD:refs/heads/${branch}`],
          github ? gitAuthEnv(token) : undefined,
        );
        pushed = push.ok;
        if (!push.ok)
          warn(`Could not push ${branch} of ${name}: ${push.stderr.trim().slice(-500)}`);
      }
      let pullRequest: string | undefined;
      if (pushed && github && token) {
        const pr = await openPullRequest(
          githubApi,
          github,
          token,
          {
            head: branch,
            base: baseRef === "HEAD" ? "main" : baseRef,
            title: a.task.title,
            body: `Made by Ambit run \`${a.run_id}\`.\n\n${a.task.prompt.slice(0, 2_000)}`,
          },
          signal,
        );
        if (pr.ok) {
          const res = await fetch(runUrl, {
            method: "POST",
            headers: { authorization: auth, "content-type": "application/json" },
            body: JSON.stringify({ artifact_type: "PULL_REQUEST", data: { url: pr.url, branch } }),
            signal,
          });
          if (res.status === 201) {
            note({ artifact_type: "PULL_REQUEST", data: { url: pr.url, branch } });
            pullRequest = pr.url;
          } else warn(`Opened ${pr.url}, but reporting it failed (${res.status})`);
        } else warn(`Could not open a pull request on ${github}: ${pr.message}`);
      }
      // the diff goes along in every case (with a pull request too): the console renders it
      const diff = await g([
        "diff",
        "--binary",
        "--no-ext-diff",
        "--no-textconv",
        ...diffRevisions(start, baseSha),
        "--",
      ]);
      if (!diff.ok) {
        warn(`Could not diff the changes in ${name}: ${diff.stderr.trim().slice(-500)}`);
        continue;
      }
      const { text, truncated } = capDiff(redact(diff.stdout));
      const where = pullRequest
        ? `, pull request ${pullRequest}`
        : pushed
          ? `, pushed as branch ${branch}`
          : ` (committed locally on ${branch}; not pushed)`;
      await upload(
        text,
        {
          filename: `${name}.diff`,
          filepath: `${name}.diff`,
          title: truncated ? "Changes (truncated)" : "Changes",
          description: `Changes in ${name}${where}${truncated ? `; truncated to ${MAX_DIFF_BYTES} bytes` : ""}`,
        },
        "text/x-diff",
      ).catch((err) => warn(String(err.message ?? err)));
    }

    const artifactsDir = path.join(prepared.workspace, "artifacts");
    for (const file of filesUnder(artifactsDir)) {
      const rel = path.relative(prepared.workspace, file);
      let read: ReturnType<typeof readInside>;
      try {
        // never through a link out of the workspace (the run may have made one meanwhile)
        read = readInside(prepared.workspace, file, MAX_UPLOAD_BYTES);
      } catch {
        warn(`${rel} is not a regular file of the workspace; it was not uploaded`);
        continue;
      }
      if (!read.bytes) {
        warn(
          `${rel} is ${read.size} bytes, over the ${MAX_UPLOAD_BYTES}-byte limit of an artifact; it was not uploaded`,
        );
        continue;
      }
      await upload(
        new Uint8Array(read.bytes),
        { filename: path.basename(file), filepath: rel },
        mimeOf(file),
      ).catch((err) => warn(String(err.message ?? err)));
    }

    if (prepared.before) {
      // a run without repositories: what its agent created or changed (workspace-files.ts)
      const uploadFile = (bytes: Uint8Array<ArrayBuffer>, q: Record<string, string>) =>
        upload(bytes, q, mimeOf(q.filename)).catch((err) => warn(String(err.message ?? err)));
      const { workspace, before } = prepared;
      await keepChangedFiles({ workspace, before, redact, warn, upload: uploadFile });
    }
    return reported;
  };
}

async function openPullRequest(
  api: string,
  repo: string,
  token: string,
  pr: { head: string; base: string; title: string; body: string },
  signal: AbortSignal,
) {
  try {
    const res = await fetch(`${api}/repos/${repo}/pulls`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${token}`,
        accept: "application/vnd.github+json",
        "x-github-api-version": "2022-11-28",
        "content-type": "application/json",
        "user-agent": "ambit-runner",
      },
      body: JSON.stringify(pr),
      signal,
    });
    const body = (await res.json().catch(() => ({}))) as { html_url?: string; message?: string };
    if (res.status === 201 && body.html_url) return { ok: true as const, url: body.html_url };
    return { ok: false as const, message: `${res.status} ${body.message ?? ""}`.trim() };
  } catch (err) {
    return { ok: false as const, message: String(err) };
  }
}

/** The repositories of the workspace: those the environment cloned, and any the agent made or cloned at its top level. */
function repositoriesIn(workspace: string, known: string[]): string[] {
  const found = new Set(known.filter((d) => existsSync(path.join(d, ".git"))));
  if (existsSync(path.join(workspace, ".git"))) found.add(workspace);
  for (const entry of existsSync(workspace)
    ? readdirSync(workspace, { withFileTypes: true })
    : []) {
    if (entry.isDirectory() && existsSync(path.join(workspace, entry.name, ".git")))
      found.add(path.join(workspace, entry.name));
  }
  return [...found];
}

/** The regular files under `dir` (a real directory, not a link), its links not followed. */
function filesUnder(dir: string): string[] {
  if (!lstatSync(dir, { throwIfNoEntry: false })?.isDirectory()) return [];
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .map((e) => path.join(e.parentPath, e.name))
    .sort();
}

const MIME: Record<string, string> = {
  ".txt": "text/plain",
  ".md": "text/markdown",
  ".json": "application/json",
  ".html": "text/html",
  ".csv": "text/csv",
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".jpeg": "image/jpeg",
  ".gif": "image/gif",
  ".svg": "image/svg+xml",
  ".pdf": "application/pdf",
  ".diff": "text/x-diff",
  ".patch": "text/x-diff",
  ".log": "text/plain",
  ".zip": "application/zip",
};
const mimeOf = (file: string) =>
  MIME[path.extname(file).toLowerCase()] ?? "application/octet-stream";
