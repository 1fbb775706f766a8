import { exports } from "cloudflare:workers";

export const BASE = "http://ambit.test";

export type Json = Record<string, any>;

/** Calls the Worker's fetch handler in-process with a JSON body and an optional API key. */
export async function call(method: string, path: string, opts: { key?: string; body?: unknown; headers?: Record<string, string>; raw?: string } = {}) {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.key) headers.authorization = `Bearer ${opts.key}`;
  let body: string | undefined = opts.raw;
  if (opts.body !== undefined) {
    body = JSON.stringify(opts.body);
    headers["content-type"] = "application/json";
  }
  const res = await exports.default.fetch(new Request(`${BASE}${path}`, { method, headers, body }));
  const text = await res.text();
  let json: any;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, json, text };
}

let counter = 0;

/** A fresh team with its owner's key; every test makes its own. */
export async function newTeam(name = "team") {
  const n = ++counter;
  const res = await call("POST", "/api/v1/teams", {
    body: { name: `${name}-${n}`, owner: { email: `owner-${n}-${crypto.randomUUID()}@example.com`, display_name: `Owner ${n}` } },
  });
  if (res.status !== 201) throw new Error(`signup failed: ${res.status} ${res.text}`);
  return { teamId: res.json.team.uid as string, userId: res.json.user.uid as string, key: res.json.api_key as string, email: res.json.user.email as string };
}

/** Adds a member with `role` to the team of `ownerKey` and returns a key acting as them. */
export async function memberKey(ownerKey: string, role: "owner" | "admin" | "member" | "viewer") {
  const email = `${role}-${crypto.randomUUID()}@example.com`;
  const added = await call("POST", "/api/v1/team/members", { key: ownerKey, body: { email, role } });
  if (added.status !== 201) throw new Error(`add member failed: ${added.status} ${added.text}`);
  const minted = await call("POST", "/api/v1/api-keys", { key: ownerKey, body: { name: `${role} key`, user_uid: added.json.uid } });
  if (minted.status !== 201) throw new Error(`key for member failed: ${minted.status} ${minted.text}`);
  return { userId: added.json.uid as string, key: minted.json.key as string };
}
