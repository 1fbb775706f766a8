import { Hono } from "hono";
import { html, raw } from "hono/html";
import { ERROR_CATALOG } from "../lib/errors.ts";
import type { AppEnv } from "../middleware/types.ts";
import { markdownInline as md } from "./markdown-inline.ts";

type OpenApiDoc = {
  info: { title: string; version: string; description?: string };
  tags?: { name: string; description?: string }[];
  paths: Record<string, Record<string, Operation | unknown>>;
};
const METHODS = new Set(["get", "post", "put", "patch", "delete"]);
type Operation = {
  summary?: string;
  description?: string;
  tags?: string[];
  deprecated?: boolean;
  security?: unknown[];
  parameters?: {
    name: string;
    in: string;
    required?: boolean;
    schema?: { description?: string };
    description?: string;
  }[];
  requestBody?: { content: Record<string, { schema: unknown }> };
  responses: Record<string, { description: string; content?: Record<string, { schema: unknown }> }>;
};

const schemaText = (s: unknown) => JSON.stringify(s, null, 2);

function operationHtml(method: string, path: string, op: Operation) {
  const id = `${method}-${path}`.replace(/[^a-zA-Z0-9]+/g, "-");
  const params = op.parameters ?? [];
  const body = op.requestBody ? Object.values(op.requestBody.content)[0]?.schema : undefined;
  return html`<section class="op" id="${id}">
    <h3><span class="m ${method}">${method.toUpperCase()}</span> <code>${path}</code>${op.deprecated ? html` <em>deprecated</em>` : ""}${op.security?.length ? "" : html` <em>no key needed</em>`}</h3>
    <p>${md(op.summary)}${op.description ? html`<br />${md(op.description)}` : ""}</p>
    ${
      params.length
        ? html`<table class="params"><tr><th>parameter</th><th>in</th><th>schema</th><th>description</th></tr>${params.map(
            (p) =>
              html`<tr><td><code>${p.name}</code>${p.required ? " *" : ""}</td><td>${p.in}</td><td><code>${JSON.stringify(p.schema ?? {})}</code></td><td>${md(p.description ?? p.schema?.description)}</td></tr>`,
          )}</table>`
        : ""
    }
    ${body ? html`<details><summary>request body</summary><pre>${schemaText(body)}</pre></details>` : ""}
    <ul>${Object.entries(op.responses).map(([status, r]) => html`<li><b>${status}</b> ${md(r.description)}</li>`)}</ul>
  </section>`;
}

/** `/docs`: a readable page rendered on the server from the OpenAPI document (no scripts, no CDN). */
export function docsRoutes(getDoc: (origin: string) => OpenApiDoc) {
  return new Hono<AppEnv>().get("/docs", (c) => {
    const doc = getDoc(new URL(c.req.url).origin);
    // sections in the document's tag order (src/routes/openapi-tags.ts), any other tag after them
    const byTag = new Map<string, ReturnType<typeof operationHtml>[]>(
      (doc.tags ?? []).map((t) => [t.name, []]),
    );
    const about = new Map((doc.tags ?? []).map((t) => [t.name, t.description]));
    for (const [path, item] of Object.entries(doc.paths)) {
      // a path with its own `servers` is at the root (the console's sign-in), the others under /api/v1
      const full = "servers" in item ? path : `/api/v1${path}`;
      for (const [method, op] of Object.entries(item)) {
        if (!METHODS.has(method)) continue;
        const tag = (op as Operation).tags?.[0] ?? "Other";
        byTag.set(tag, [...(byTag.get(tag) ?? []), operationHtml(method, full, op as Operation)]);
      }
    }
    const sections = [...byTag].filter(([, ops]) => ops.length);
    return c.html(html`<!doctype html>
<html lang="en"><head><meta charset="utf-8" /><title>${doc.info.title} reference</title>
<meta name="viewport" content="width=device-width, initial-scale=1" />
<style>
body{font:15px/1.5 system-ui,sans-serif;max-width:960px;margin:2rem auto;padding:0 1rem;color:#1b1f24;overflow-wrap:anywhere}
code,pre{font:13px ui-monospace,monospace}pre{background:#f5f6f8;padding:.75rem;white-space:pre-wrap}
.op{border-top:1px solid #e3e6ea;padding:.5rem 0}.m{display:inline-block;min-width:4.5rem;font-size:13px;color:#fff;border-radius:3px;text-align:center}
.get{background:#2b7de9}.post{background:#1f9d55}.delete{background:#d64545}.patch,.put{background:#c68a00}
table{border-collapse:collapse;width:100%;table-layout:fixed}td,th{border:1px solid #e3e6ea;padding:.2rem .5rem;text-align:left;vertical-align:top}
th:first-child{width:22%}.params th:nth-child(2){width:8%}.params th:nth-child(3){width:42%}nav{display:flex;flex-wrap:wrap;gap:.25rem 1rem}
</style></head><body>
<h1>${doc.info.title} <small>${doc.info.version}</small></h1>
<p>${md(doc.info.description)}</p>
<p>Machine-readable: <a href="/api/v1/openapi.json">/api/v1/openapi.json</a> (OpenAPI 3.1). Authenticate with <code>Authorization: Bearer &lt;API key&gt;</code>.</p>
<nav>${sections.map(([t]) => t).map((t) => html`<a href="#tag-${t.replace(/\W+/g, "-")}">${t}</a>`)}<a href="#errors">Errors</a></nav>
${sections.map(([tag, ops]) => html`<h2 id="tag-${tag.replace(/\W+/g, "-")}">${tag}</h2>${about.get(tag) ? html`<p>${md(about.get(tag))}</p>` : ""}${ops}`)}
<h2 id="errors">Errors</h2>
<p>Every error is <code>application/problem+json</code> (RFC 7807) with <code>type, title, status, detail, instance, error, error_code, retryable, trace_id</code>.
Non-retryable answers carry <code>x-should-retry: false</code>.</p>
<table><tr><th>error_code</th><th>HTTP</th><th>retryable</th></tr>
${Object.entries(ERROR_CATALOG).map(([code, e]) => html`<tr id="error-${code}"><td><code>${code}</code></td><td>${e.status}</td><td>${String(e.retryable)}</td></tr>`)}
</table>${raw("")}
</body></html>`);
  });
}
