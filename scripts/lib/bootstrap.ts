// The local bootstrap team `npm start` creates, and credentials minted for its owner straight into
// the local D1 (`wrangler d1 execute --local`): no endpoint, nothing remote, only hashes stored.
// Used by `npm start`, `npm run owner-key` and `npm run sign-in-link`.
import { createHash, randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { ROOT, wrangler } from "./wrangler-dev.ts";

export type LocalState = { port: number; persistTo?: string; stateDir: string; marker: string };

/** Where the local state lives, as `npm start` reads AMBIT_PERSIST_TO and PORT. */
export function localState(): LocalState {
  const to = process.env.AMBIT_PERSIST_TO;
  const persistTo = to ? path.resolve(to) : undefined;
  const stateDir = persistTo ?? path.join(ROOT, ".wrangler/state");
  const port = Number(process.env.PORT ?? 8787);
  return { port, persistTo, stateDir, marker: path.join(stateDir, "ambit-bootstrap.json") };
}

/** The bootstrap team and owner of this state, or undefined before the first `npm start`. */
export function readBootstrap(marker: string): { teamId: string; ownerId: string } | undefined {
  if (!existsSync(marker)) return undefined;
  const saved = JSON.parse(readFileSync(marker, "utf8")) as { team_uid: string; owner_uid: string };
  const { team_uid: teamId, owner_uid: ownerId } = saved;
  // what the platform mints (src/lib/ids.ts); nothing else goes into the SQL
  const ID = /^[0-9A-Za-z]+$/;
  if (!ID.test(teamId) || !ID.test(ownerId)) throw new Error(`unexpected ids in ${marker}`);
  return { teamId, ownerId };
}

/** Runs SQL on the local D1 and returns the rows of its last statement. */
export async function localD1(sql: string, persistTo: string | undefined) {
  const where = persistTo ? ["--persist-to", persistTo] : [];
  const args = ["d1", "execute", "DB", "--local", ...where, "--json", "--command", sql];
  const out = await wrangler(args, { quiet: true });
  type Result = { results?: Record<string, unknown>[] };
  const results = JSON.parse(out.slice(out.indexOf("["))) as Result[];
  return results.at(-1)?.results ?? [];
}

export const sha256 = (s: string) => createHash("sha256").update(s).digest("hex");

/** How long a sign-in link works (src/services/web-sessions.ts consumes it). */
export const SIGN_IN_LINK_TTL_MS = 15 * 60_000;

/**
 * A one-time sign-in link for the bootstrap owner, while they are still a member: its token is 32
 * random bytes (base64url), only its SHA-256 stored. Undefined if the owner left the team.
 */
export async function mintSignInLink(s: LocalState, owner: { teamId: string; ownerId: string }) {
  const token = randomBytes(32).toString("base64url");
  const hash = sha256(token);
  const now = Date.now();
  const rows = await localD1(
    `INSERT INTO sign_in_links (token_hash, team_id, user_id, created_at, expires_at)
SELECT '${hash}', team_id, user_id, ${now}, ${now + SIGN_IN_LINK_TTL_MS} FROM memberships
WHERE team_id = '${owner.teamId}' AND user_id = '${owner.ownerId}';
DELETE FROM sign_in_links WHERE expires_at < ${now};
SELECT count(*) AS n FROM sign_in_links WHERE token_hash = '${hash}';`,
    s.persistTo,
  );
  return rows[0]?.n === 1 ? `http://localhost:${s.port}/auth/link/${token}` : undefined;
}
