// A small GitHub REST API for tests of the GitHub integration (src/integrations/github): App
// installation tokens (the App JWT verified with jose against the App's public key), issue
// comments, reactions, a pull request's diff, workflow jobs and their logs, check runs. It checks
// the headers GitHub demands, records every call, and fails on demand.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { importSPKI, jwtVerify } from "jose";

export type RecordedCall = {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
};
export type FakeComment = {
  id: number;
  body: string;
  user: { login: string; type: string };
  author_association: string;
  html_url: string;
  updated_at: string;
};
export type FakeJob = { id: number; name: string; conclusion: string | null };
export type Failure = {
  method?: string;
  path: RegExp;
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** how many matching calls fail (default: every one) */
  times?: number;
};

export async function startFakeGitHubRest(options: {
  appId?: string;
  /** the App's public key (SPKI PEM): access-token requests must carry a JWT it verifies */
  appPublicKeyPem?: string;
  /** a personal access token the fake accepts besides the tokens it minted */
  pat?: string;
  /** lifetime of minted installation tokens (GitHub: 1 hour) */
  tokenTtlMs?: number;
  /** the bot login our comments appear as */
  botLogin?: string;
}) {
  const calls: RecordedCall[] = [];
  const failures: Failure[] = [];
  const tokens = new Set<string>(options.pat ? [options.pat] : []);
  const comments = new Map<string, FakeComment[]>(); // "owner/repo#n" → comments
  const diffs = new Map<string, string>(); // "owner/repo#n" → diff
  const jobs = new Map<number, FakeJob[]>(); // workflow run id → jobs
  const logs = new Map<number, string>(); // job id → log text
  const checkRuns = new Map<number, unknown[]>(); // check suite id → check runs
  const reactions: { commentId: number; content: string }[] = [];
  let tokenTtlMs = options.tokenTtlMs ?? 3_600_000;
  let nextId = 1000;
  let minted = 0;
  const publicKey = options.appPublicKeyPem
    ? await importSPKI(options.appPublicKeyPem, "RS256")
    : null;

  const server = createServer((req, res) => {
    let raw = "";
    req.on("data", (d) => (raw += d));
    req.on("end", () => {
      handle(req, res, raw).catch((err) => send(res, 500, { message: String(err) }));
    });
  });

  const send = (res: ServerResponse, status: number, body?: unknown, headers = {}) => {
    const text = typeof body === "string" ? body : body === undefined ? "" : JSON.stringify(body);
    const type = typeof body === "string" ? "text/plain" : "application/json";
    res.writeHead(status, { "content-type": type, ...headers }).end(text);
  };

  async function handle(req: IncomingMessage, res: ServerResponse, raw: string) {
    const url = new URL(req.url ?? "/", "http://x");
    const path = url.pathname;
    const method = req.method ?? "GET";
    let body: unknown = raw;
    try {
      body = raw ? JSON.parse(raw) : undefined;
    } catch {}
    calls.push({
      method,
      path,
      query: Object.fromEntries(url.searchParams),
      headers: req.headers,
      body,
    });

    // the log blob a job's logs URL redirects to: served without GitHub's headers, as GitHub's is
    const blob = path.match(/^\/_blob\/logs\/(\d+)$/);
    if (blob) return send(res, 200, logs.get(Number(blob[1])) ?? "");

    const failure = failures.find((f) => (!f.method || f.method === method) && f.path.test(path));
    if (failure) {
      if (failure.times !== undefined && --failure.times <= 0)
        failures.splice(failures.indexOf(failure), 1);
      return send(
        res,
        failure.status,
        failure.body ?? { message: "fake failure" },
        failure.headers,
      );
    }
    if (!req.headers["user-agent"]) return send(res, 403, { message: "User-Agent required" });
    if (req.headers["x-github-api-version"] !== "2022-11-28")
      return send(res, 400, { message: "X-GitHub-Api-Version missing or unsupported" });
    const accept = String(req.headers.accept ?? "");
    if (!accept.startsWith("application/vnd.github"))
      return send(res, 415, { message: `unsupported Accept ${accept}` });
    const bearer = String(req.headers.authorization ?? "").replace(/^Bearer /, "");

    const mint = path.match(/^\/app\/installations\/(\d+)\/access_tokens$/);
    if (mint && method === "POST") {
      if (!publicKey) return send(res, 404, { message: "Not Found" });
      try {
        const { payload } = await jwtVerify(bearer, publicKey, {
          algorithms: ["RS256"],
          issuer: options.appId,
        });
        if ((payload.exp ?? 0) - (payload.iat ?? 0) > 660)
          return send(res, 401, {
            message: "'Expiration time' claim ('exp') is too far in the future",
          });
      } catch (err) {
        return send(res, 401, { message: `A JSON web token could not be decoded: ${err}` });
      }
      const token = `ghs_fake${++minted}_${mint[1]}`;
      tokens.add(token);
      const expires_at = new Date(Date.now() + tokenTtlMs).toISOString().replace(/\.\d+Z$/, "Z");
      return send(res, 201, { token, expires_at, permissions: {}, repository_selection: "all" });
    }
    if (!tokens.has(bearer)) return send(res, 401, { message: "Bad credentials" });

    let m = path.match(/^\/repos\/([^/]+\/[^/]+)\/issues\/(\d+)\/comments$/);
    if (m && method === "GET") {
      const since = url.searchParams.get("since");
      const perPage = Number(url.searchParams.get("per_page") ?? 30);
      const page = Number(url.searchParams.get("page") ?? 1);
      const all = (comments.get(`${m[1]}#${m[2]}`) ?? []).filter(
        (c) => !since || c.updated_at >= since,
      );
      return send(res, 200, all.slice((page - 1) * perPage, page * perPage));
    }
    if (m && method === "POST") {
      const text = (body as { body?: string })?.body;
      if (!text)
        return send(res, 422, { message: "Validation Failed", errors: [{ field: "body" }] });
      const c = addComment(m[1], Number(m[2]), {
        body: text,
        login: options.botLogin ?? "ambit[bot]",
        type: "Bot",
      });
      return send(res, 201, c, { location: `/repos/${m[1]}/issues/comments/${c.id}` });
    }
    m = path.match(/^\/repos\/([^/]+\/[^/]+)\/issues\/comments\/(\d+)$/);
    if (m) {
      const found = findComment(Number(m[2]));
      if (!found) return send(res, 404, { message: "Not Found" });
      if (method === "GET") return send(res, 200, found);
      if (method === "PATCH") {
        found.body = (body as { body: string }).body;
        found.updated_at = new Date().toISOString();
        return send(res, 200, found);
      }
    }
    m = path.match(/^\/repos\/([^/]+\/[^/]+)\/issues\/comments\/(\d+)\/reactions$/);
    if (m && method === "POST") {
      const commentId = Number(m[2]);
      const content = (body as { content: string }).content;
      const again = reactions.some((r) => r.commentId === commentId && r.content === content);
      if (!again) reactions.push({ commentId, content });
      return send(res, again ? 200 : 201, { id: ++nextId, content });
    }
    m = path.match(/^\/repos\/([^/]+\/[^/]+)\/pulls\/(\d+)$/);
    if (m && method === "GET") {
      const diff = diffs.get(`${m[1]}#${m[2]}`);
      if (diff === undefined) return send(res, 404, { message: "Not Found" });
      if (accept === "application/vnd.github.diff") return send(res, 200, diff);
      return send(res, 200, {
        number: Number(m[2]),
        head: { ref: "feature" },
        base: { ref: "main" },
      });
    }
    m = path.match(/^\/repos\/([^/]+\/[^/]+)\/actions\/runs\/(\d+)\/jobs$/);
    if (m && method === "GET")
      return send(res, 200, { total_count: 0, jobs: jobs.get(Number(m[2])) ?? [] });
    m = path.match(/^\/repos\/([^/]+\/[^/]+)\/actions\/jobs\/(\d+)\/logs$/);
    if (m && method === "GET") {
      if (!logs.has(Number(m[2]))) return send(res, 410, { message: "Gone" });
      return send(res, 302, undefined, { location: `${base}/_blob/logs/${m[2]}` });
    }
    m = path.match(/^\/repos\/([^/]+\/[^/]+)\/check-suites\/(\d+)\/check-runs$/);
    if (m && method === "GET") {
      const runs = checkRuns.get(Number(m[2])) ?? [];
      return send(res, 200, { total_count: runs.length, check_runs: runs });
    }
    send(res, 404, { message: "Not Found", documentation_url: "https://docs.github.com/rest" });
  }

  function findComment(id: number) {
    for (const list of comments.values()) {
      const c = list.find((x) => x.id === id);
      if (c) return c;
    }
    return undefined;
  }

  function addComment(
    repo: string,
    number: number,
    c: { body: string; login?: string; type?: string; association?: string },
  ): FakeComment {
    const id = ++nextId;
    const comment: FakeComment = {
      id,
      body: c.body,
      user: { login: c.login ?? "octocat", type: c.type ?? "User" },
      author_association: c.association ?? "MEMBER",
      html_url: `https://github.com/${repo}/issues/${number}#issuecomment-${id}`,
      updated_at: new Date().toISOString(),
    };
    const key = `${repo}#${number}`;
    comments.set(key, [...(comments.get(key) ?? []), comment]);
    return comment;
  }

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: base,
    calls,
    comments,
    diffs,
    jobs,
    logs,
    checkRuns,
    reactions,
    addComment,
    /** makes matching calls answer `status` (with `headers`, e.g. a rate limit) */
    fail: (f: Failure) => failures.push(f),
    setTokenTtl: (ms: number) => (tokenTtlMs = ms),
    /** the calls other than the log blobs, as `METHOD /path` */
    requests: () =>
      calls.filter((c) => !c.path.startsWith("/_blob/")).map((c) => `${c.method} ${c.path}`),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
export type FakeGitHubRest = Awaited<ReturnType<typeof startFakeGitHubRest>>;
