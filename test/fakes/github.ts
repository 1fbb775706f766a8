// A small local GitHub for tests: git's smart HTTP protocol (served by `git http-backend`) for
// repositories under /<owner>/<repo>.git, and the REST call the runner makes to open a pull
// request (POST /api/repos/<owner>/<repo>/pulls). Both demand the token it was started with.
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";

export type FakePull = {
  repo: string;
  head: string;
  base: string;
  title: string;
  body: string;
  number: number;
  html_url: string;
};

const GIT_ENV = {
  GIT_AUTHOR_NAME: "t",
  GIT_AUTHOR_EMAIL: "t@t",
  GIT_COMMITTER_NAME: "t",
  GIT_COMMITTER_EMAIL: "t@t",
};

export async function startFakeGitHub(token: string) {
  const root = mkdtempSync(path.join(tmpdir(), "ambit-fake-github-"));
  const pulls: FakePull[] = [];
  const refused: string[] = [];

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    const m = url.pathname.match(/^\/api\/repos\/([^/]+)\/([^/]+)\/pulls$/);
    if (m && req.method === "POST") return pull(req, res, `${m[1]}/${m[2]}`);
    const basic = `Basic ${Buffer.from(`x-access-token:${token}`).toString("base64")}`;
    if (req.headers.authorization !== basic) {
      refused.push(url.pathname);
      res
        .writeHead(401, { "www-authenticate": 'Basic realm="fake github"' })
        .end("bad credentials");
      return;
    }
    gitBackend(req, res, url);
  });

  function pull(req: IncomingMessage, res: ServerResponse, repo: string) {
    let raw = "";
    req.on("data", (d) => (raw += d));
    req.on("end", () => {
      if (req.headers.authorization !== `Bearer ${token}`) {
        res
          .writeHead(401, { "content-type": "application/json" })
          .end(JSON.stringify({ message: "Bad credentials" }));
        return;
      }
      const body = JSON.parse(raw) as Omit<FakePull, "repo" | "number" | "html_url">;
      const number = pulls.length + 1;
      const pr = { ...body, repo, number, html_url: `${base}/${repo}/pull/${number}` };
      pulls.push(pr);
      res.writeHead(201, { "content-type": "application/json" }).end(
        JSON.stringify({
          number,
          html_url: pr.html_url,
          head: { ref: body.head },
          base: { ref: body.base },
        }),
      );
    });
  }

  function gitBackend(req: IncomingMessage, res: ServerResponse, url: URL) {
    const cgi = spawn("git", ["http-backend"], {
      env: {
        ...process.env,
        GIT_PROJECT_ROOT: root,
        GIT_HTTP_EXPORT_ALL: "1",
        PATH_INFO: url.pathname,
        QUERY_STRING: url.search.slice(1),
        REQUEST_METHOD: req.method ?? "GET",
        CONTENT_TYPE: req.headers["content-type"] ?? "",
        HTTP_CONTENT_ENCODING: req.headers["content-encoding"] ?? "",
        REMOTE_USER: "x-access-token",
        REMOTE_ADDR: "127.0.0.1",
      },
    });
    req.pipe(cgi.stdin);
    let head = Buffer.alloc(0);
    let headersDone = false;
    cgi.stdout.on("data", (chunk: Buffer) => {
      if (headersDone) return void res.write(chunk);
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf("\r\n\r\n");
      if (end < 0) return;
      headersDone = true;
      let status = 200;
      const headers: Record<string, string> = {};
      for (const line of head.subarray(0, end).toString().split("\r\n")) {
        const i = line.indexOf(":");
        const k = line.slice(0, i).trim();
        const v = line.slice(i + 1).trim();
        if (k.toLowerCase() === "status") status = Number(v.split(" ")[0]);
        else headers[k] = v;
      }
      res.writeHead(status, headers);
      res.write(head.subarray(end + 4));
    });
    cgi.stdout.on("end", () => res.end());
    cgi.stderr.resume();
  }

  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    /** the web/git host: `AMBIT_GITHUB_URL` */
    url: base,
    /** the REST API: `AMBIT_GITHUB_API_URL` */
    apiUrl: `${base}/api`,
    pulls,
    refused,
    /** a bare repository `owner/name` with one commit on `main` (README.md) */
    createRepo(fullName: string) {
      const bare = path.join(root, `${fullName}.git`);
      execFileSync("git", ["init", "--quiet", "--bare", "-b", "main", bare]);
      const work = mkdtempSync(path.join(root, "seed-"));
      const g = (...args: string[]) =>
        execFileSync("git", args, { cwd: work, env: { ...process.env, ...GIT_ENV } });
      g("init", "--quiet", "-b", "main");
      writeFileSync(path.join(work, "README.md"), "hello\n");
      g("add", "-A");
      g("commit", "--quiet", "-m", "init");
      g("push", "--quiet", bare, "main");
      rmSync(work, { recursive: true, force: true });
      return { cloneUrl: `${base}/${fullName}.git`, bare };
    },
    /** the branches of a repository, read from its bare copy */
    branches(fullName: string) {
      return execFileSync("git", ["for-each-ref", "--format=%(refname:short)", "refs/heads"], {
        cwd: path.join(root, `${fullName}.git`),
      })
        .toString()
        .trim()
        .split("\n");
    },
    stop: async () => {
      await new Promise((r) => server.close(r));
      rmSync(root, { recursive: true, force: true });
    },
  };
}
