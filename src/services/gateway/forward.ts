import type { AttachClaims } from "../../lib/attach-token.ts";
import { AppError } from "../../lib/errors.ts";
import { log } from "../../lib/log.ts";
import { recentMap } from "../../lib/recent-map.ts";
import type { GatewayProvider } from "../../lib/model-keys.ts";
import { recheckHostToken } from "../runs/token-checks.ts";
import { holdModelCall } from "./budget.ts";
import { verifyModelCall } from "./credential.ts";
import { recordModelCall } from "./record.ts";
import { readUsageOfCopy, type TapResult, usageStripTap } from "./tap.ts";
import { resolveUpstream, type Upstream, upstreamUrl } from "./upstream.ts";
import { noUsage } from "./usage.ts";

/**
 * How long a model call may rely on this isolate's reading of the key behind its credential (the
 * key its host connected with, or that claimed a LOCAL run): one D1 read per key every two
 * seconds instead of one per call, an agent's calls coming in quick succession. A revoked key
 * stops its runs' calls within that; whether the run is still held is asked at every call.
 */
const KEY_STANDING_TTL_MS = 2_000;

/** Request headers that stay at the gateway: the run credential and what names this hop. */
const DROPPED_REQUEST = new Set([
  "authorization",
  "x-api-key",
  "x-goog-api-key",
  "host",
  "cookie",
  "content-length",
  "connection",
  "accept-encoding",
  "x-forwarded-for",
  "x-forwarded-proto",
  "x-forwarded-host",
  "x-real-ip",
]);
/** Response headers the runtime sets itself (the body is re-streamed, already decoded). */
const DROPPED_RESPONSE = new Set([
  "content-length",
  "content-encoding",
  "transfer-encoding",
  "connection",
  "set-cookie",
]);

/** The calls that generate (and report usage); the rest (token counts, model lists) just pass. */
const GENERATES: Record<GatewayProvider, RegExp> = {
  anthropic: /^\/v1\/messages$/,
  openai: /^\/v1\/(chat\/completions|responses)$/,
  gemini: /^\/v1beta\/models\/[^/]+:(stream)?generateContent$/i,
};

/**
 * One model call through the gateway: authenticated with the run's gateway credential, sent to
 * the provider the run's configuration names with the team's key, and its answer streamed back
 * chunk by chunk while its usage is read on the way and recorded (`waitUntil`) once it ends.
 * `path` is what follows `/gateway/<provider>` (`/v1/messages`).
 */
export async function forwardModelCall(o: {
  env: Env;
  req: Request;
  provider: GatewayProvider;
  path: string;
  waitUntil: (p: Promise<unknown>) => void;
}): Promise<Response> {
  const { env, req, provider, path } = o;
  const claims = await verifyModelCall(env, req);
  // the run is rechecked while the body is read and the upstream resolved: none waits for another
  const held = recheckHostToken(env, claims, { keyStandingTtlMs: KEY_STANDING_TTL_MS });
  held.catch(() => {}); // awaited below; a refusal before then is not left unhandled
  const generates = req.method === "POST" && GENERATES[provider].test(path);
  const raw = req.method === "GET" || req.method === "HEAD" ? undefined : await req.text();
  // biome-ignore lint/suspicious/noExplicitAny: a provider's JSON, read field by field
  let body: Record<string, any> | undefined;
  try {
    body = raw ? JSON.parse(raw) : undefined;
  } catch {
    body = undefined;
  }
  const asked = typeof body?.model === "string" ? body.model : /\/models\/([^/:]+)/.exec(path)?.[1];
  const resolved = cachedUpstream(env, claims, provider, asked);
  // a budget's hold on the call's maximum cost, settled with its actual cost once it ended: taken
  // while the run is rechecked (two object calls at once, not one after the other)
  const holding: Promise<Awaited<ReturnType<typeof holdModelCall>> | null> = generates
    ? resolved.then((u) => holdModelCall(env, claims, u, body, raw?.length ?? 0))
    : Promise.resolve(null);
  try {
    await held; // judged first: a credential that no longer holds its run is refused as such
  } catch (err) {
    // room a hold took meanwhile is given back, and a spent budget stops no run this credential
    // no longer holds
    o.waitUntil(holding.then((b) => (b?.ok ? b.hold.settle(null) : undefined)).catch(() => {}));
    throw err;
  }
  const [upstream, budget] = await Promise.all([resolved, holding]);
  if (budget && !budget.ok) return budget.refuse();
  // OpenAI chat streams report usage only when asked: ask, and hold that chunk back from a
  // client that did not
  let stripUsageChunk = false;
  let sent = raw;
  if (generates && provider === "openai" && path.endsWith("/chat/completions") && body?.stream) {
    if (!body.stream_options?.include_usage) {
      stripUsageChunk = true;
      sent = JSON.stringify({
        ...body,
        stream_options: { ...body.stream_options, include_usage: true },
      });
    }
  }
  // once per call: its usage replaces the hold, or none releases it
  const settle = (tokens: TapResult["usage"] | null) =>
    budget?.ok &&
    o.waitUntil(
      budget.hold
        .settle(tokens)
        .catch((err) => log.error("model call not settled", { run_id: claims.runId, error: err })),
    );
  const release = () => settle(null);
  const url = new URL(req.url);
  const startedAt = Date.now();
  let res: Response;
  try {
    res = await fetch(upstreamUrl(upstream, path, url.search), {
      method: req.method,
      headers: upstreamHeaders(req.headers, upstream),
      body: sent,
    });
  } catch (err) {
    release();
    log.error("model gateway: the provider did not answer", {
      run_id: claims.runId,
      provider,
      error: err,
    });
    throw new AppError(
      "resource_unavailable",
      `the model gateway could not reach the ${provider} API at ${new URL(upstream.baseUrl).host}: check the base URL of the run's model (catalog entry or ${provider} base URL secret) and that the server is up`,
    );
  }
  const headers = new Headers();
  for (const [k, v] of res.headers) if (!DROPPED_RESPONSE.has(k)) headers.append(k, v);
  const record = (r: TapResult) =>
    o.waitUntil(
      recordModelCall(env, {
        teamId: claims.teamId,
        runId: claims.runId,
        executionId: claims.executionId ?? 0,
        upstream,
        status: res.status,
        tokens: r.usage,
        startedAt,
        ttfbMs: r.ttfbMs,
        endedAt: r.endedAt,
      }).catch((err) => log.error("model call not recorded", { run_id: claims.runId, error: err })),
    );
  if (!generates || !res.body) {
    // a provider's error answer is a call too: it shows in usage as failed, at no cost
    if (generates && !res.ok) record(bodilessResult(startedAt));
    release();
    return new Response(res.body, { status: res.status, headers });
  }
  // an error answer goes to the client whole, the usage chunk we asked for was never sent
  const tap = {
    provider,
    sse: /text\/event-stream/i.test(res.headers.get("content-type") ?? ""),
    usage: noUsage(),
    startedAt,
    // an error answer is recorded with the usage it reported, if any (else none, costing 0)
    done: (r: TapResult) => {
      settle(r.usage.seen ? r.usage : null);
      if (r.usage.seen || !res.ok) record(r);
    },
  };
  if (stripUsageChunk && res.ok)
    return new Response(res.body.pipeThrough(usageStripTap(tap)), { status: res.status, headers });
  // the client's copy streams natively (no JavaScript per chunk on its path); usage is read from
  // the other copy, which also runs to the answer's end when the client goes away first
  const [client, copy] = res.body.tee();
  o.waitUntil(readUsageOfCopy(copy, tap));
  return new Response(client, { status: res.status, headers });
}

const bodilessResult = (startedAt: number): TapResult => {
  const now = Date.now();
  return { usage: noUsage(), ttfbMs: now - startedAt, endedAt: now, complete: true };
};

/**
 * The client's headers (its API version and beta flags among them), with the provider's key in
 * place of the run credential.
 */
function upstreamHeaders(from: Headers, u: Upstream): Headers {
  const h = new Headers();
  for (const [k, v] of from) if (!DROPPED_REQUEST.has(k) && !k.startsWith("cf-")) h.set(k, v);
  if (!u.key) return h;
  if (u.provider === "openai") h.set("authorization", `Bearer ${u.key}`);
  else if (u.provider === "gemini") h.set("x-goog-api-key", u.key);
  else if (u.key.startsWith("sk-ant-oat")) {
    // a Claude subscription's OAuth token goes as a bearer, with the beta flag that admits it
    h.set("authorization", `Bearer ${u.key}`);
    const beta = h.get("anthropic-beta");
    if (!beta?.includes("oauth-2025-04-20"))
      h.set("anthropic-beta", beta ? `${beta},oauth-2025-04-20` : "oauth-2025-04-20");
  } else h.set("x-api-key", u.key);
  return h;
}

/**
 * How long this isolate reuses a run's resolved upstream (its key and prices) for the next calls
 * of the same execution, provider and model: an agent's calls come in quick succession, and each
 * resolution reads D1 and opens a secret. A key changed meanwhile is used within the minute. The
 * credential itself is rechecked at every call, never cached.
 */
const UPSTREAM_TTL_MS = 60_000;
const upstreams = recentMap<Promise<Upstream>>({ ttlMs: UPSTREAM_TTL_MS, max: 1_000 });

function cachedUpstream(
  env: Env,
  claims: AttachClaims,
  provider: GatewayProvider,
  asked: string | undefined,
): Promise<Upstream> {
  const key = [claims.runId, claims.executionId, claims.personalOf, provider, asked].join("|");
  const hit = upstreams.get(key);
  if (hit) return hit;
  const upstream = resolveUpstream(env, claims, provider, asked);
  upstreams.set(key, upstream);
  upstream.catch(() => upstreams.forget(key, upstream));
  return upstream;
}
