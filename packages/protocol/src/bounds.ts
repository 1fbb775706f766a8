import { z } from "zod";

/** How deep and how large a free-form JSON value (unknown keys, payloads, maps) may be. */
export type JsonBounds = { maxDepth: number; maxBytes: number };

const kib = (n: number) => (n % 1024 === 0 ? `${n / 1024} KiB` : `${n} bytes`);
const utf8 = new TextEncoder();

/**
 * What `value` breaks of `bounds`, or null. Walks with its own stack, never recursion, and stops
 * as soon as a bound is passed: a 9,000-deep value costs 33 steps, not a stack overflow. The size
 * is the value's JSON text in UTF-8 (escapes aside, which only make the real text longer).
 */
export function jsonBoundsExceeded(value: unknown, bounds: JsonBounds): string | null {
  const stack: [unknown, number][] = [[value, 0]];
  let bytes = 0;
  while (stack.length) {
    const [v, depth] = stack.pop()!;
    if (typeof v === "string") bytes += utf8.encode(v).length + 2;
    else if (v === null || typeof v !== "object") bytes += String(v).length;
    else {
      if (depth + 1 > bounds.maxDepth)
        return `is nested more than ${bounds.maxDepth} levels deep; flatten it to at most ${bounds.maxDepth}`;
      const entries = Array.isArray(v) ? v.map((x) => [undefined, x] as const) : Object.entries(v);
      bytes += 2 + Math.max(entries.length - 1, 0);
      for (const [k, x] of entries) {
        if (k !== undefined) bytes += utf8.encode(k).length + 3;
        stack.push([x, depth + 1]);
      }
    }
    if (bytes > bounds.maxBytes)
      return `is larger than ${kib(bounds.maxBytes)} of JSON; keep it under ${kib(bounds.maxBytes)}`;
  }
  return null;
}

/**
 * A zod refinement bounding a free-form field (`.superRefine(boundedJson({...}))`): one issue at
 * the field, naming the limit, so the API answers 400 `invalid_request` before anything walks the
 * value recursively (drizzle's JSON.stringify, payload capping).
 */
export const boundedJson = (bounds: JsonBounds) => (value: unknown, ctx: z.RefinementCtx) => {
  const why = jsonBoundsExceeded(value, bounds);
  if (why) ctx.addIssue({ code: "custom", message: why });
};

/** A map of strings (headers, env, metadata) of at most `maxBytes` of JSON. */
export const StringMap = (maxBytes: number, value = z.string()) =>
  z.record(z.string(), value).superRefine(boundedJson({ maxDepth: 1, maxBytes }));

/** The bounds of a run's or schedule's `agent_config` as a client sends it. */
export const AGENT_CONFIG_BOUNDS: JsonBounds = { maxDepth: 32, maxBytes: 512 * 1024 };
/** The bounds of one event's payload as a host or LOCAL CLI appends it. */
export const EVENT_PAYLOAD_BOUNDS: JsonBounds = { maxDepth: 32, maxBytes: 1024 * 1024 };

const LOOPBACK = /^(localhost|[a-z0-9.-]+\.localhost|127(\.\d{1,3}){3}|\[::1\])$/i;

/**
 * Why `s` is not a link a console or terminal may show as clickable, or null. Allowed: https, and
 * http to a loopback host (local development). Refused: every other scheme (javascript:, data:,
 * file:, vbscript:…), credentials in the URL, and leading or embedded whitespace or control
 * characters, which URL parsers strip before reading the scheme.
 */
export function unsafeLinkReason(s: string): string | null {
  if (/[\u0000-\u0020\u007f-\u00a0\u2028\u2029]/.test(s))
    return "must be an https link without whitespace or control characters";
  let url: URL;
  try {
    url = new URL(s);
  } catch {
    return "must be an absolute https link";
  }
  const loopbackHttp = url.protocol === "http:" && LOOPBACK.test(url.hostname);
  if (url.protocol !== "https:" && !loopbackHttp) {
    return `must be an https link (http only to localhost, for local development); ${url.protocol} links are refused`;
  }
  if (url.username || url.password) return "must be an https link without a user name or password";
  return null;
}

/** A URL a client or host sets that others may open as a link: see `unsafeLinkReason`. */
export const safeLinkUrl = (maxLength = 2048) =>
  z
    .string()
    .max(maxLength)
    .superRefine((s, ctx) => {
      const why = unsafeLinkReason(s);
      if (why) ctx.addIssue({ code: "custom", message: why });
    });

/** A URL the platform or a runner connects to (MCP servers, model endpoints): http or https only. */
export const ServiceUrl = z.url({ protocol: /^https?$/, error: "must be an http or https URL" });
