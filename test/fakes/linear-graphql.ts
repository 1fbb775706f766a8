// A small Linear GraphQL API for tests of the Linear integration (src/integrations/linear):
// `issue`, `user`, `viewer` and `agentActivityCreate`, answered by operation (the query text), as
// Linear does: HTTP 200 with `errors[]` for GraphQL errors. It checks the `Authorization` form (a
// personal key bare, an OAuth token as `Bearer`), records every call, and fails on demand (429
// with Retry-After, `RATELIMITED`, 5xx). `POST /oauth/token` trades an install's code (the
// `oauth` option) for `accessToken` and a refresh token, as Linear's token endpoint does: the
// tokens it issues expire (`tokenTtlS`, or `expireTokens()` at once), and a refresh token buys a
// new pair once. `fetch` serves in-process (workerd tests); `startFakeLinear` puts the same behind
// a Node HTTP server (e2e).

export type LinearCall = {
  operation: string;
  query: string;
  variables: Record<string, unknown>;
  authorization: string | null;
  at: number;
};
export type FakeIssue = {
  id: string;
  identifier: string;
  title: string;
  description?: string;
  url: string;
  team?: { id: string; key: string };
  project?: { id: string; name: string } | null;
  labels?: string[];
  comments?: { body: string; user: string; createdAt?: string }[];
};
export type FakeActivity = {
  id: string;
  agentSessionId: string;
  content: Record<string, unknown>;
  at: number;
};
export type LinearFailure = {
  /** the operation it hits (`issue`, `user`, `agentActivityCreate`); every one when absent */
  operation?: string;
  kind: "429" | "ratelimited" | "500";
  retryAfter?: number;
  /** how many matching calls fail (default 1) */
  times?: number;
  /** how many matching calls pass first (default 0) */
  after?: number;
};

export function createFakeLinear(options: {
  apiKey?: string;
  accessToken?: string;
  viewerId?: string;
  /** how long each answer takes (ms), e.g. to let reports overlap */
  delayMs?: number;
  /** the OAuth app: `POST /oauth/token` gives `accessToken` for `code` with these credentials */
  oauth?: { clientId: string; clientSecret: string; code: string };
  /** how long the tokens `/oauth/token` issues live (s; Linear's: 24 h) */
  tokenTtlS?: number;
}) {
  const calls: LinearCall[] = [];
  const activities: FakeActivity[] = [];
  const issues = new Map<string, FakeIssue>();
  const users = new Map<string, { id: string; name: string; email: string | null }>();
  const failures: LinearFailure[] = [];
  /** every code exchange, in order (the form's fields) */
  const tokenRequests: Record<string, string>[] = [];
  let nextId = 1;
  /** the access tokens `/oauth/token` issued, and until when each works (ms) */
  const issued = new Map<string, number>();
  /** refresh tokens not yet used: each refresh returns a new one, as Linear's does */
  const refreshTokens = new Set<string>();
  let grants = 0;

  const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
    new Response(JSON.stringify(body), {
      status,
      headers: { "content-type": "application/json", ...headers },
    });

  const bearer = (auth: string | null) => {
    const token = auth?.startsWith("Bearer ") ? auth.slice(7) : null;
    if (!token) return false;
    const until = issued.get(token);
    // a token given to the fake outright (no install) never expires
    return until === undefined ? token === options.accessToken : Date.now() < until;
  };
  const authorized = (auth: string | null) =>
    (options.apiKey !== undefined && auth === options.apiKey) || bearer(auth);

  /** A new access token (the first is `accessToken`) and refresh token, as `/oauth/token` answers. */
  function grant() {
    const n = ++grants;
    const access = n === 1 ? options.accessToken! : `${options.accessToken}-${n}`;
    const ttl = options.tokenTtlS ?? 86_399;
    issued.set(access, Date.now() + ttl * 1000);
    const refresh = `lin_refresh_${n}_${crypto.randomUUID()}`;
    refreshTokens.add(refresh);
    return {
      access_token: access,
      token_type: "Bearer",
      expires_in: ttl,
      refresh_token: refresh,
      scope: "read write app:assignable app:mentionable",
    };
  }

  const operationOf = (query: string) =>
    /agentActivityCreate/.test(query)
      ? "agentActivityCreate"
      : /\bissue\s*\(/.test(query)
        ? "issue"
        : /\buser\s*\(/.test(query)
          ? "user"
          : /\bviewer\b/.test(query)
            ? "viewer"
            : "unknown";

  async function handle(req: Request): Promise<Response> {
    const url = new URL(req.url);
    if (req.method === "POST" && url.pathname === "/oauth/token") {
      const form = Object.fromEntries(
        new URLSearchParams(new TextDecoder().decode(await req.arrayBuffer())),
      );
      tokenRequests.push(form);
      const o = options.oauth;
      if (
        !o ||
        !options.accessToken ||
        form.client_id !== o.clientId ||
        form.client_secret !== o.clientSecret
      )
        return json(401, { error: "invalid_client" });
      if (form.grant_type === "refresh_token") {
        if (!refreshTokens.delete(form.refresh_token)) return json(400, { error: "invalid_grant" });
        return json(200, grant());
      }
      if (form.grant_type !== "authorization_code" || !form.redirect_uri)
        return json(401, { error: "invalid_client" });
      if (form.code !== o.code) return json(400, { error: "invalid_grant" });
      return json(200, grant());
    }
    if (req.method !== "POST" || url.pathname !== "/graphql")
      return json(404, { error: "not found" });
    if (options.delayMs) await new Promise((r) => setTimeout(r, options.delayMs));
    const body = (await req.json()) as { query: string; variables?: Record<string, unknown> };
    const operation = operationOf(body.query);
    const authorization = req.headers.get("authorization");
    calls.push({
      operation,
      query: body.query,
      variables: body.variables ?? {},
      authorization,
      at: Date.now(),
    });
    if (!authorized(authorization))
      return json(400, {
        errors: [
          { message: "Authentication required", extensions: { code: "AUTHENTICATION_ERROR" } },
        ],
      });
    const failure = failures.find((f) => !f.operation || f.operation === operation);
    if (failure?.after) failure.after--;
    else if (failure) {
      failure.times = (failure.times ?? 1) - 1;
      if (failure.times <= 0) failures.splice(failures.indexOf(failure), 1);
      if (failure.kind === "429")
        return json(
          429,
          { error: "rate limited" },
          { "retry-after": String(failure.retryAfter ?? 30) },
        );
      if (failure.kind === "500") return json(500, { error: "down" });
      const reset = Date.now() + (failure.retryAfter ?? 30) * 1000;
      return json(
        200,
        { errors: [{ message: "Rate limit exceeded", extensions: { code: "RATELIMITED" } }] },
        { "x-ratelimit-requests-reset": String(reset), "x-ratelimit-requests-remaining": "0" },
      );
    }
    const v = body.variables ?? {};
    if (operation === "viewer")
      return json(200, { data: { viewer: { id: options.viewerId ?? "u-app" } } });
    if (operation === "user") {
      const user = users.get(String(v.id));
      return user
        ? json(200, { data: { user } })
        : json(200, {
            data: null,
            errors: [{ message: "Entity not found", extensions: { code: "INPUT_ERROR" } }],
          });
    }
    if (operation === "issue") {
      const issue = issues.get(String(v.id));
      if (!issue)
        return json(200, {
          data: null,
          errors: [{ message: "Entity not found", extensions: { code: "INPUT_ERROR" } }],
        });
      const first = Number(v.comments ?? 50);
      return json(200, {
        data: {
          issue: {
            id: issue.id,
            identifier: issue.identifier,
            title: issue.title,
            description: issue.description ?? null,
            url: issue.url,
            team: issue.team ?? null,
            project: issue.project ?? null,
            labels: { nodes: (issue.labels ?? []).map((name) => ({ name })) },
            comments: {
              nodes: (issue.comments ?? []).slice(0, first).map((c) => ({
                body: c.body,
                createdAt: c.createdAt ?? new Date(0).toISOString(),
                user: { name: c.user, displayName: c.user },
              })),
            },
          },
        },
      });
    }
    if (operation === "agentActivityCreate") {
      const input = (v.input ?? {}) as {
        agentSessionId?: string;
        content?: Record<string, unknown>;
      };
      const type = input.content?.type;
      if (
        !input.agentSessionId ||
        !["thought", "action", "elicitation", "response", "error"].includes(String(type))
      )
        return json(200, {
          data: null,
          errors: [{ message: "Argument Validation Error", extensions: { code: "INPUT_ERROR" } }],
        });
      const activity = {
        id: `act-${nextId++}`,
        agentSessionId: input.agentSessionId,
        content: input.content ?? {},
        at: Date.now(),
      };
      activities.push(activity);
      return json(200, {
        data: { agentActivityCreate: { success: true, agentActivity: { id: activity.id } } },
      });
    }
    return json(200, {
      errors: [{ message: "unknown operation", extensions: { code: "GRAPHQL_VALIDATION_FAILED" } }],
    });
  }

  return {
    calls,
    tokenRequests,
    activities,
    issues,
    users,
    failures,
    handle,
    /** a `fetch` that answers every request from this fake, whatever its origin */
    fetch: ((input: RequestInfo | URL, init?: RequestInit) =>
      handle(new Request(input, init))) as typeof fetch,
    /** the activities of one session, in the order they were posted */
    activitiesOf: (sessionId: string) => activities.filter((a) => a.agentSessionId === sessionId),
    addIssue: (issue: FakeIssue) => issues.set(issue.id, issue),
    addUser: (user: { id: string; name: string; email: string | null }) => users.set(user.id, user),
    fail: (f: LinearFailure) => failures.push(f),
    /** every token `/oauth/token` issued stops working now (refresh tokens still do) */
    expireTokens: () => {
      for (const token of issued.keys()) issued.set(token, 0);
    },
  };
}
export type FakeLinear = ReturnType<typeof createFakeLinear>;

/** The fake behind a Node HTTP server on 127.0.0.1 (for a real `wrangler dev`): `url` is its origin. */
export async function startFakeLinear(options: Parameters<typeof createFakeLinear>[0]) {
  const { createServer } = await import("node:http");
  const fake = createFakeLinear(options);
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (d: Buffer) => chunks.push(d));
    req.on("end", async () => {
      const headers = new Headers();
      for (const [k, v] of Object.entries(req.headers))
        if (typeof v === "string") headers.set(k, v);
      const answer = await fake
        .handle(
          new Request(`http://fake${req.url}`, {
            method: req.method,
            headers,
            body: req.method === "POST" ? Buffer.concat(chunks) : undefined,
          }),
        )
        .catch((err) => new Response(JSON.stringify({ error: String(err) }), { status: 500 }));
      const out: Record<string, string> = {};
      answer.headers.forEach((v, k) => {
        out[k] = v;
      });
      res.writeHead(answer.status, out).end(await answer.text());
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as { port: number };
  return {
    ...fake,
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
