import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { expect } from "vitest";
import { createApp } from "../../src/app.ts";

export const BASE = "http://ambit.test";

export type Json = Record<string, any>;
export type Role = "owner" | "admin" | "member" | "viewer";
type CallOpts = {
  key?: string;
  body?: unknown;
  headers?: Record<string, string>;
  raw?: BodyInit;
  redirect?: "manual";
};

function buildRequest(method: string, path: string, opts: CallOpts): Request {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.key) headers.authorization = `Bearer ${opts.key}`;
  let body: BodyInit | undefined = opts.raw;
  if (opts.body !== undefined) {
    body = JSON.stringify(opts.body);
    headers["content-type"] ??= "application/json";
  }
  return new Request(`${BASE}${path}`, { method, headers, body, redirect: opts.redirect });
}

export async function readResponse(res: Response) {
  // decoded by hand: workerd warns on .text() of types it does not know as text (NDJSON)
  const text = new TextDecoder().decode(await res.arrayBuffer());
  let json: any;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, json, text };
}

/** Calls the Worker's fetch handler in-process with a JSON body and an optional API key. */
export async function call(method: string, path: string, opts: CallOpts = {}) {
  return readResponse(await exports.default.fetch(buildRequest(method, path, opts)));
}

/** Bindings and vars to change, and the secrets (typed by `src/env.ts`, not the generated `Env`). */
type EnvPatch = { [K in keyof Env]?: Env[K] } & { [K in "JWT_SECRET" | "SECRETS_KEY"]?: string };

/**
 * Calls a fresh app with the test env changed by `patch` (keys set to `undefined` are removed),
 * e.g. `SIGNUP: "closed"` or a missing secret. Waits for the request's `waitUntil` work.
 */
export async function callWithEnv(
  patch: EnvPatch,
  method: string,
  path: string,
  opts: CallOpts = {},
) {
  const patched: Env = { ...env, ...patch };
  for (const [k, v] of Object.entries(patch))
    if (v === undefined) Reflect.deleteProperty(patched, k);
  const ctx = createExecutionContext();
  const res = await createApp().fetch(buildRequest(method, path, opts), patched, ctx);
  const out = await readResponse(res);
  await waitOnExecutionContext(ctx);
  return out;
}

let counter = 0;

/** A fresh team with its owner's key; every test makes its own. */
export async function newTeam(name = "team") {
  const n = ++counter;
  const res = await call("POST", "/api/v1/teams", {
    body: {
      name: `${name}-${n}`,
      owner: { email: `owner-${n}-${crypto.randomUUID()}@example.com`, display_name: `Owner ${n}` },
    },
  });
  if (res.status !== 201) throw new Error(`signup failed: ${res.status} ${res.text}`);
  return {
    teamId: res.json.team.uid as string,
    userId: res.json.user.uid as string,
    key: res.json.api_key as string,
    email: res.json.user.email as string,
  };
}

/**
 * Adds a member with `role` to the team of `ownerKey` and returns a key of their own: the owner
 * mints them a (delegated) key, which the member exchanges for their personal key, as a new member
 * does. `delegatedKey` is the one the owner minted (it acts on team resources only).
 */
export async function memberKey(ownerKey: string, role: Role) {
  const email = `${role}-${crypto.randomUUID()}@example.com`;
  const added = await call("POST", "/api/v1/team/members", {
    key: ownerKey,
    body: { email, role },
  });
  if (added.status !== 201) throw new Error(`add member failed: ${added.status} ${added.text}`);
  const minted = await call("POST", "/api/v1/api-keys", {
    key: ownerKey,
    body: { name: `${role} key`, user_uid: added.json.uid },
  });
  if (minted.status !== 201)
    throw new Error(`key for member failed: ${minted.status} ${minted.text}`);
  const own = await call("POST", "/api/v1/api-keys", {
    key: minted.json.key,
    body: { name: `${role}'s own key` },
  });
  if (own.status !== 201) throw new Error(`member's own key failed: ${own.status} ${own.text}`);
  return {
    userId: added.json.uid as string,
    key: own.json.key as string,
    delegatedKey: minted.json.key as string,
    email,
  };
}

/** Asserts `res` is an RFC 7807 problem with this status and code; returns its body. */
export function expectProblem(
  res: Awaited<ReturnType<typeof call>>,
  status: number,
  code: string,
): Json {
  expect({ status: res.status, error_code: res.json?.error_code }, res.text.slice(0, 500)).toEqual({
    status,
    error_code: code,
  });
  expect(res.headers.get("content-type")).toMatch(/^application\/problem\+json/);
  return res.json;
}
