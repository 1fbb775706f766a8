import { describe, expect, it } from "vitest";
import { ERROR_CATALOG } from "../../src/lib/errors.ts";
import { markdownInline } from "../../src/routes/markdown-inline.ts";
import { OPENAPI_TAGS } from "../../src/routes/openapi-tags.ts";
import { BASE, call, callWithEnv, type Json } from "../helpers/api.ts";

const ROUTES: Record<string, string[]> = {
  "/teams": ["post"],
  "/team": ["get", "patch"],
  "/platform/teams/{uid}/limits": ["get", "patch"],
  "/team/budget": ["get", "patch"],
  "/team/budget/members/{uid}": ["delete", "put"],
  "/team/members": ["get", "post"],
  "/team/members/{uid}": ["delete", "patch"],
  "/api-keys": ["get", "post"],
  "/api-keys/{uid}": ["delete"],
  "/service-accounts": ["get", "post"],
  "/service-accounts/{uid}": ["delete", "patch"],
  "/audit-log": ["get"],
  "/audit-log/export": ["get"],
  "/agent/runs": ["get", "post"],
  "/agent/run": ["post"],
  "/agent/runs/{runId}": ["get"],
  "/agent/runs/{runId}/cancel": ["post"],
  "/agent/runs/{runId}/sharing": ["patch"],
  "/public/runs/{shareId}": ["get"],
  "/public/runs/{shareId}/events": ["get"],
  "/public/runs/{shareId}/session": ["get"],
  "/agent/tasks": ["get"],
  "/agent/tasks/{taskId}": ["get"],
  "/agent/tasks/{taskId}/cancel": ["post"],
  "/agent/runs/{runId}/session": ["get"],
  "/agent/runs/{runId}/events": ["get"],
  "/agent/runs/{runId}/session-token": ["post"],
  "/agent/runs/{runId}/local/claim": ["post"],
  "/agent/runs/{runId}/local/report": ["post"],
  "/agent/runs/{runId}/local-executions": ["post"],
  "/agent/runs/{runId}/followups": ["post"],
  "/agent/runs/{runId}/conversation": ["get"],
  "/agent/conversations/{conversationId}": ["get"],
  "/agent/runs/{runId}/timeline": ["get"],
  "/agent/runs/{runId}/transcript": ["get"],
  "/selfhosted/worker/ws": ["get"],
  "/agent/connected-self-hosted-workers": ["get"],
  "/hosts": ["get"],
  "/stats/runs": ["get"],
  "/usage": ["get"],
  "/webhooks": ["get", "post"],
  "/webhooks/{uid}": ["delete", "get", "patch"],
  "/webhooks/{uid}/test": ["post"],
  "/webhooks/{uid}/deliveries": ["get"],
  "/webhooks/{uid}/deliveries/{id}/resend": ["post"],
  "/agent/secrets": ["get", "post"],
  "/agent/secrets/{name}": ["delete", "put"],
  "/agent/secrets/rotate": ["post"],
  "/agent/environments": ["get", "post"],
  "/agent/environments/{uid}": ["delete", "get", "put"],
  "/agent/models": ["get", "post"],
  "/agent/models/{id}": ["delete", "put"],
  "/agent/mcp-servers": ["get", "post"],
  "/agent/mcp-servers/{uid}": ["delete", "get", "put"],
  "/agent/rules": ["get", "post"],
  "/agent/rules/{uid}": ["delete", "get", "put"],
  "/agent/prompts": ["get", "post"],
  "/agent/prompts/{uid}": ["delete", "get", "put"],
  "/agent/env-vars": ["get"],
  "/agent/env-vars/{name}": ["delete", "put"],
  "/agent/identities": ["get", "post"],
  "/agent/identities/{uid}": ["delete", "get", "put"],
  "/agent": ["get"],
  "/agent/skills": ["delete", "patch", "post"],
  "/agent/runs/{runId}/artifacts": ["post"],
  "/agent/runs/{runId}/artifacts/files": ["post"],
  "/agent/runs/{runId}/checkpoints/{checkpointId}": ["get", "put"],
  "/agent/artifacts/{artifactUid}": ["get"],
  "/agent/artifacts/{artifactUid}/download": ["get"],
  "/agent/artifacts/{artifactUid}/content": ["get"],
  "/agent/schedules": ["get", "post"],
  "/agent/schedules/{scheduleId}": ["delete", "get", "put"],
  "/agent/schedules/{scheduleId}/pause": ["post"],
  "/agent/schedules/{scheduleId}/resume": ["post"],
  "/integrations": ["get", "post"],
  "/integrations/{uid}": ["delete", "get", "patch"],
  "/integrations/{uid}/deliveries": ["get"],
  "/integrations/{uid}/deliveries/{deliveryId}/redeliver": ["post"],
  "/integrations/{uid}/events": ["post"],
  "/integrations/{uid}/install-link": ["post"],
  "/integrations/{uid}/link-codes": ["post"],
  "/integrations/install/callback": ["get"],
  "/me": ["get"],
  "/auth/sessions": ["get"],
  "/auth/sessions/{uid}": ["delete"],
  "/team/sso": ["delete", "get", "put"],
  "/auth/sso/start": ["get"],
  "/auth/sso/callback": ["get"],
  "/auth/device/code": ["post"],
  "/auth/device/token": ["post"],
  "/auth/device/{user_code}": ["get", "post"],
  // the console's sign-in, at the root (each with its own `servers`)
  "/auth/link/{token}": ["get"],
  "/auth/sign-in": ["post"],
  "/auth/sign-out": ["post"],
};
/** Routes at the root, not under /api/v1: the console's sign-in, which takes no credential yet. */
const ROOT_ROUTES = new Set(["/auth/link/{token}", "/auth/sign-in", "/auth/sign-out"]);

/** Single sign-on and the CLI's web login: no credential yet (the device code is in the body). */
const SIGN_IN_ROUTES = new Set([
  "/auth/sso/start",
  "/auth/sso/callback",
  "/auth/device/code",
  "/auth/device/token",
]);

/** Routes that also take an attach token in `?token=` (they authenticate themselves). */
const ATTACH_ROUTES = new Set([
  "/agent/runs/{runId}/session",
  "/agent/runs/{runId}/events",
  "/agent/runs/{runId}/artifacts",
  "/agent/runs/{runId}/artifacts/files",
  "/agent/runs/{runId}/checkpoints/{checkpointId}",
]);
/**
 * Routes authenticated by a token in the URL itself (a signed download link, a run's public link)
 * or by the request's own signature (an integration's inbound URL, an OAuth install's signed state).
 */
const SIGNED_LINK_ROUTES = new Set([
  "/integrations/{uid}/events",
  "/integrations/install/callback",
  "/agent/artifacts/{artifactUid}/content",
  "/public/runs/{shareId}",
  "/public/runs/{shareId}/events",
  "/public/runs/{shareId}/session",
]);

async function openapi(): Promise<Json> {
  const res = await call("GET", "/api/v1/openapi.json");
  expect(res.status, res.text.slice(0, 300)).toBe(200);
  return res.json;
}

/** Every `$ref` anywhere in `node`. */
function refs(node: unknown, out: string[] = []): string[] {
  if (Array.isArray(node)) for (const n of node) refs(n, out);
  else if (node && typeof node === "object") {
    for (const [k, v] of Object.entries(node)) {
      if (k === "$ref" && typeof v === "string") out.push(v);
      else refs(v, out);
    }
  }
  return out;
}

describe("GET /api/v1/openapi.json", () => {
  it("is OpenAPI 3.1 served without a key, with the server URL carrying /api/v1", async () => {
    const doc = await openapi();
    expect(doc.openapi).toMatch(/^3\.1\./);
    expect(doc.info).toMatchObject({ title: "Ambit API", version: expect.any(String) });
    expect(doc.servers).toEqual([{ url: `${BASE}/api/v1` }]);
  });

  it("lists every route, with paths relative to /api/v1", async () => {
    const doc = await openapi();
    const listed = Object.fromEntries(
      Object.entries(doc.paths as Record<string, Json>).map(([p, ops]) => [
        p,
        Object.keys(ops)
          .filter((k) => k !== "servers")
          .sort(),
      ]),
    );
    expect(listed).toEqual(ROUTES);
    for (const p of Object.keys(ROUTES))
      expect(doc.paths[p].servers, p).toEqual(ROOT_ROUTES.has(p) ? [{ url: BASE }] : undefined);
  });

  it("has the bearerAuth and sessionCookie schemes on every route but signup and sign-in (and attachToken on attach routes), and marks the legacy ones deprecated", async () => {
    const doc = await openapi();
    expect(doc.components.securitySchemes.bearerAuth).toMatchObject({
      type: "http",
      scheme: "bearer",
    });
    expect(doc.components.securitySchemes.attachToken).toMatchObject({
      type: "apiKey",
      in: "query",
      name: "token",
    });
    expect(doc.components.securitySchemes.sessionCookie).toMatchObject({
      type: "apiKey",
      in: "cookie",
      name: "ambit_session",
    });
    const keyOrSession = [{ bearerAuth: [] }, { sessionCookie: [] }];
    for (const [path, ops] of Object.entries(doc.paths as Record<string, Record<string, Json>>)) {
      for (const [method, op] of Object.entries(ops)) {
        if (method === "servers") continue;
        const label = `${method} ${path}`;
        const open = SIGNED_LINK_ROUTES.has(path) || ROOT_ROUTES.has(path);
        if (path.startsWith("/platform/"))
          expect(op.security, label).toEqual([{ platformAdmin: [] }]);
        else if (path === "/teams" || open || SIGN_IN_ROUTES.has(path))
          expect(op.security ?? [], label).toEqual([]);
        // artifact uploads: an admin's key or the run's HOST token, no session
        else if (
          path.endsWith("/artifacts") ||
          path.endsWith("/artifacts/files") ||
          (path.endsWith("/checkpoints/{checkpointId}") && method === "put")
        )
          expect(op.security, label).toEqual([{ bearerAuth: [] }, { attachToken: [] }]);
        else if (ATTACH_ROUTES.has(path))
          expect(op.security, label).toEqual([...keyOrSession, { attachToken: [] }]);
        else expect(op.security, label).toEqual(keyOrSession);
        expect(op.deprecated ?? false, label).toBe(
          path === "/agent/run" || path.startsWith("/agent/tasks"),
        );
      }
    }
  });

  it("describes errors with the Problem component, and every $ref resolves", async () => {
    const doc = await openapi();
    const problem = doc.components.schemas.Problem;
    expect(Object.keys(problem.properties)).toEqual(
      expect.arrayContaining([
        "type",
        "title",
        "status",
        "detail",
        "instance",
        "error",
        "error_code",
        "retryable",
        "trace_id",
        "errors",
      ]),
    );
    expect(problem.properties.error_code.enum).toEqual(Object.keys(ERROR_CATALOG));
    const notFound = doc.paths["/agent/runs/{runId}"].get.responses["404"];
    expect(notFound.content["application/problem+json"].schema).toEqual({
      $ref: "#/components/schemas/Problem",
    });
    for (const ref of refs(doc)) {
      const target = ref
        .replace(/^#\//, "")
        .split("/")
        .reduce<Json | undefined>((node, part) => node?.[part], doc);
      expect(target, ref).toBeDefined();
    }
  });

  it("documents the request shapes generated from the zod schemas", async () => {
    const doc = await openapi();
    const create = doc.paths["/agent/runs"].post.requestBody.content["application/json"].schema;
    expect(Object.keys(create.properties)).toEqual(
      expect.arrayContaining(["prompt", "config", "team", "metadata", "attachments"]),
    );
    const params = doc.paths["/agent/runs"].get.parameters.map((p: { name: string }) => p.name);
    expect(params).toEqual(
      expect.arrayContaining([
        "limit",
        "cursor",
        "sort_by",
        "sort_order",
        "state",
        "created_after",
        "q",
      ]),
    );
    const signup = doc.paths["/teams"].post.requestBody.content["application/json"].schema;
    expect(signup.required).toEqual(expect.arrayContaining(["name", "owner"]));
  });
});

describe("GET /docs", () => {
  it("is an HTML page naming the routes and anchoring every error code", async () => {
    const res = await call("GET", "/docs");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/html/);
    expect(res.text).toMatch(/^<!doctype html>/i);
    for (const path of Object.keys(ROUTES))
      expect(res.text, path).toContain(
        ROOT_ROUTES.has(path) ? `<code>${path}</code>` : `/api/v1${path}`,
      );
    expect(res.text).toContain('id="error-invalid_request"');
    // every problem's `type` is a link to an anchor on this page
    for (const code of Object.keys(ERROR_CATALOG))
      expect(res.text, code).toContain(`id="error-${code}"`);
    expect(res.text).not.toContain("<script");
  });

  it("is titled as the API reference, its sections in the document's tag order: runs first", async () => {
    const doc = await openapi();
    const names = OPENAPI_TAGS.map((t) => t.name);
    expect(doc.tags.map((t: { name: string }) => t.name)).toEqual(names);
    expect(names[0]).toBe("Runs");
    // every section has its place in the order: a new tag is added to OPENAPI_TAGS
    const used = new Set(
      Object.values(doc.paths as Record<string, Record<string, Json>>).flatMap((ops) =>
        Object.entries(ops)
          .filter(([method]) => ["get", "post", "put", "patch", "delete"].includes(method))
          .map(([, op]) => op.tags[0]),
      ),
    );
    expect([...used].filter((t) => !names.includes(t))).toEqual([]);

    const res = await call("GET", "/docs");
    expect(res.text).toMatch(/<title>Ambit API reference<\/title>/);
    const nav = [...res.text.match(/<nav>(.*?)<\/nav>/s)![1].matchAll(/>([^<]+)<\/a>/g)].map(
      (m) => m[1],
    );
    expect(nav).toEqual([...names.filter((n) => used.has(n)), "Errors"]);
    const headings = [...res.text.matchAll(/<h2 id="tag-[^"]*">([^<]+)<\/h2>/g)].map((m) => m[1]);
    expect(headings).toEqual(nav.slice(0, -1));
  });

  it("renders the descriptions' Markdown: no backtick or ** is left in its text", async () => {
    const res = await call("GET", "/docs");
    // signup's description: "Needs `SIGNUP=open`."
    expect(res.text).toContain("Needs <code>SIGNUP=open</code>");
    const text = res.text
      .replace(/<(pre|code|style)[^>]*>[\s\S]*?<\/\1>/g, "")
      .replace(/<[^>]+>/g, "");
    expect(text.match(/.{0,40}[`].{0,40}|.{0,40}\*\*.{0,40}/g) ?? []).toEqual([]);
  });

  it("renders inline Markdown escaped, with links only to http(s), relative and # targets", () => {
    const html = (s: string) => String(markdownInline(s));
    expect(html("a `<b>` **bold** *em* [docs](/docs) [x](javascript:alert(1)) <i>")).toBe(
      'a <code>&lt;b&gt;</code> <strong>bold</strong> <em>em</em> <a href="/docs">docs</a> [x](javascript:alert(1)) &lt;i&gt;',
    );
    expect(html("no *emphasis* in a*b*c, or 2 * 3 * 4")).toBe(
      "no <em>emphasis</em> in a*b*c, or 2 * 3 * 4",
    );
  });
});

describe("GET /healthz", () => {
  it("answers {ok: true}", async () => {
    const res = await call("GET", "/healthz");
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ ok: true });
  });

  it("touches no storage: it answers even without the D1 binding or secrets", async () => {
    const res = await callWithEnv(
      { DB: undefined, JWT_SECRET: undefined, RUN_SESSION: undefined },
      "GET",
      "/healthz",
    );
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ ok: true });
  });
});
