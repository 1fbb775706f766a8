import { env } from "cloudflare:workers";
import { expect } from "vitest";
import { BASE, call } from "./api.ts";

/** The console's own origin in tests (the Worker answers at BASE). */
export const ORIGIN = BASE;

const sha256Hex = async (s: string) =>
  [...new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(s)))]
    .map((b) => b.toString(16).padStart(2, "0"))
    .join("");

/** A one-time sign-in link's token, written to D1 as `npm run sign-in-link` does (expiring in `ttlMs`). */
export async function mintLink(team: { teamId: string; userId: string }, ttlMs = 15 * 60_000) {
  const token = btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32))))
    .replace(/\+/g, "-")
    .replace(/\//g, "_")
    .replace(/=+$/, "");
  const now = Date.now();
  await env.DB.prepare(
    "INSERT INTO sign_in_links (token_hash, team_id, user_id, created_at, expires_at) VALUES (?, ?, ?, ?, ?)",
  )
    .bind(await sha256Hex(token), team.teamId, team.userId, now, now + ttlMs)
    .run();
  return token;
}

/** Opens a sign-in link (`/auth/link/…`) as a browser would, without following its redirect. */
export const openLink = (path: string, headers?: Record<string, string>) =>
  call("GET", path, { headers, redirect: "manual" });

/** The `ambit_session` value a response sets (undefined if it sets none), and the raw header. */
export function sessionSet(res: { headers: Headers }) {
  const raw = res.headers.get("set-cookie") ?? "";
  const m = /(?:^|,\s*)ambit_session=([^;]*)/.exec(raw);
  return { token: m?.[1], raw };
}

/** Signs in with an API key and returns the session token (asserting 204 + a cookie). */
export async function signIn(apiKey: string) {
  const res = await call("POST", "/auth/sign-in", {
    body: { api_key: apiKey },
    headers: { origin: ORIGIN },
  });
  expect(res.status, res.text).toBe(204);
  const { token } = sessionSet(res);
  expect(token).toBeTruthy();
  return token!;
}

/** Request headers of a console page: the cookie, and (unless `origin: null`) this origin. */
export const asConsole = (
  token: string,
  origin: string | null = ORIGIN,
): Record<string, string> => ({
  cookie: `ambit_session=${token}`,
  ...(origin ? { origin } : {}),
});

/** The session row of a token (D1), to age it in tests. */
export async function sessionRow(token: string) {
  return env.DB.prepare("SELECT * FROM web_sessions WHERE token_hash = ?")
    .bind(await sha256Hex(token))
    .first<Record<string, any>>();
}

/** A named agent's (service account's) API key in the team, written to D1 as its key would be. */
export async function serviceAccountKey(team: { teamId: string; key: string }) {
  const agent = await call("POST", "/api/v1/agent/identities", {
    key: team.key,
    body: { name: `bot-${crypto.randomUUID()}` },
  });
  expect(agent.status, agent.text).toBe(201);
  const key = `ambit_${crypto.randomUUID().replace(/-/g, "")}`;
  await env.DB.prepare(
    "INSERT INTO api_keys (id, team_id, principal_type, principal_id, name, prefix, key_hash, role, created_at) VALUES (?, ?, 'service_account', ?, 'bot key', 'ambit_x', ?, 'member', ?)",
  )
    .bind(`k-${agent.json.uid}`, team.teamId, agent.json.uid, await sha256Hex(key), Date.now())
    .run();
  return key;
}
