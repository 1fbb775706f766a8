import type { DeviceCodeResponse, DeviceLogin, DeviceTokenResponse } from "@ambit/protocol";
import { and, eq, gt, isNull } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { deviceLogins } from "../db/schema.ts";
import { openValue, sealValue } from "../lib/envelope.ts";
import { AppError } from "../lib/errors.ts";
import { sha256Hex } from "../lib/hash.ts";
import { newUid } from "../lib/ids.ts";
import { teamDataKey } from "../lib/team-data-key.ts";
import { iso } from "../lib/time.ts";
import { createApiKey } from "./api-keys.ts";
import type { Ctx } from "./context.ts";

// `ambit login --web` (docs/security.md "Credentials"): the CLI asks for a code pair and polls
// with the device code (only its SHA-256 is stored); a signed-in person approves the user code in
// the console, which mints an API key for them named after the machine. The key waits sealed with
// the team's data key until the one poll that takes it deletes the row. Codes live ten minutes.

const TTL_MS = 10 * 60_000;
const INTERVAL_S = 5;
/** no vowels: a code never spells a word */
const ALPHABET = "BCDFGHJKLMNPQRSTVWXZ";

type Row = typeof deviceLogins.$inferSelect;

const binding = (teamId: string, deviceCodeHash: string) => ({
  teamId,
  scope: "team" as const,
  ownerId: `device-login:${deviceCodeHash}`,
  name: "api_key",
});

function newUserCode(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(8));
  const chars = [...bytes].map((b) => ALPHABET[b % ALPHABET.length]);
  return `${chars.slice(0, 4).join("")}-${chars.slice(4).join("")}`;
}

/** `wdjb mjht`, `WDJBMJHT` and `WDJB-MJHT` are the same code. */
const normalized = (userCode: string) => {
  const c = userCode.toUpperCase().replace(/[^A-Z]/g, "");
  return `${c.slice(0, 4)}-${c.slice(4)}`;
};

/** A new code pair for a CLI on the machine `clientName`. */
export async function createDeviceLogin(input: {
  db: Db;
  clientName: string;
  baseUrl: string;
}): Promise<DeviceCodeResponse> {
  const deviceCode = newUid(43);
  const userCode = newUserCode();
  const now = Date.now();
  await input.db.insert(deviceLogins).values({
    deviceCodeHash: await sha256Hex(deviceCode),
    userCode,
    clientName: input.clientName,
    createdAt: now,
    expiresAt: now + TTL_MS,
    interval: INTERVAL_S,
  });
  const page = `${input.baseUrl}/login/device`;
  return {
    device_code: deviceCode,
    user_code: userCode,
    verification_uri: page,
    verification_uri_complete: `${page}?code=${userCode}`,
    expires_in: TTL_MS / 1000,
    interval: INTERVAL_S,
  };
}

/**
 * The CLI's poll. Polling faster than the interval answers `slow_down` with a longer interval;
 * an approved login hands its key over once (the row is deleted as it is read).
 */
export async function pollDeviceLogin(
  { db, env, deviceCode }: { db: Db; env: Env; deviceCode: string },
  now = Date.now(),
): Promise<DeviceTokenResponse> {
  const hash = await sha256Hex(deviceCode);
  const [row] = await db.select().from(deviceLogins).where(eq(deviceLogins.deviceCodeHash, hash));
  if (!row || row.expiresAt <= now) return { status: "expired_token" };
  // approved but its key not yet sealed (the approval is under way): still pending
  if (row.deniedAt !== null || row.keySealed !== null) {
    const [taken] = await db
      .delete(deviceLogins)
      .where(eq(deviceLogins.deviceCodeHash, hash))
      .returning();
    if (!taken) return { status: "expired_token" };
    if (taken.deniedAt !== null) return { status: "access_denied" };
    const key = await openValue(
      (await teamDataKey(env, taken.teamId!, false))!,
      binding(taken.teamId!, hash),
      taken.keySealed!,
    );
    const name = keyName(taken.clientName);
    return { status: "approved", api_key: key, key_uid: taken.keyId!, key_name: name };
  }
  if (row.lastPolledAt !== null && now - row.lastPolledAt < row.interval * 1000) {
    const interval = row.interval + INTERVAL_S;
    await db
      .update(deviceLogins)
      .set({ interval, lastPolledAt: now })
      .where(eq(deviceLogins.deviceCodeHash, hash));
    return { status: "slow_down", interval };
  }
  await db
    .update(deviceLogins)
    .set({ lastPolledAt: now })
    .where(eq(deviceLogins.deviceCodeHash, hash));
  return { status: "authorization_pending", interval: row.interval };
}

/** The key is named after the machine, so the console's key list says where it lives. */
const keyName = (clientName: string) => `${clientName} (ambit login --web)`;

/** A login still waiting for a decision, by its user code, or 404. */
async function pendingLogin(db: Db, userCode: string, now: number): Promise<Row> {
  const code = normalized(userCode);
  const [row] = await db
    .select()
    .from(deviceLogins)
    .where(
      and(
        eq(deviceLogins.userCode, code),
        gt(deviceLogins.expiresAt, now),
        isNull(deviceLogins.approvedAt),
        isNull(deviceLogins.deniedAt),
      ),
    );
  if (!row) throw notWaiting(code);
  return row;
}

const notWaiting = (code: string) =>
  new AppError(
    "resource_not_found",
    `no sign-in is waiting for code ${code}: it expired (ten minutes), was already used, or ` +
      "was mistyped. Run `ambit login --web` again.",
  );

/** Only a person approves a CLI login, for themselves. */
function requirePerson(ctx: Ctx) {
  if (ctx.actor.type !== "user") {
    throw new AppError(
      "not_authorized",
      "only a person signed in to the console approves a CLI sign-in (this is not a user's " +
        "credential)",
    );
  }
}

/** What the approval page shows: which machine asks, and until when. */
export async function getDeviceLogin({ ctx, userCode }: { ctx: Ctx; userCode: string }) {
  requirePerson(ctx);
  const row = await pendingLogin(ctx.db, userCode, Date.now());
  return {
    user_code: row.userCode,
    client_name: row.clientName,
    created_at: iso(row.createdAt),
    expires_at: iso(row.expiresAt),
  } satisfies DeviceLogin;
}

/**
 * Approves (mints the caller an API key named after the machine, as `POST /api-keys` would for
 * themselves) or denies a waiting CLI login. Either way the code is spent.
 */
export async function decideDeviceLogin(input: {
  ctx: Ctx;
  userCode: string;
  approve: boolean;
}): Promise<DeviceLogin> {
  const { ctx } = input;
  requirePerson(ctx);
  const now = Date.now();
  const row = await pendingLogin(ctx.db, input.userCode, now);
  const undecided = and(
    eq(deviceLogins.deviceCodeHash, row.deviceCodeHash),
    isNull(deviceLogins.approvedAt),
    isNull(deviceLogins.deniedAt),
  );
  const shown = await getDeviceLogin({ ctx, userCode: row.userCode });
  if (!input.approve) {
    await ctx.db.update(deviceLogins).set({ deniedAt: now }).where(undecided);
    return shown;
  }
  // claimed first, so two approvals of one code cannot mint two keys
  const claimed = await ctx.db
    .update(deviceLogins)
    .set({ approvedAt: now, teamId: ctx.teamId, userId: ctx.actor.id })
    .where(undecided)
    .returning();
  if (!claimed.length) throw notWaiting(row.userCode);
  const thisLogin = eq(deviceLogins.deviceCodeHash, row.deviceCodeHash);
  try {
    const key = await createApiKey({ ctx, input: { name: keyName(row.clientName) } });
    const dataKey = (await teamDataKey(ctx.env, ctx.teamId, true))!;
    const keySealed = await sealValue(dataKey, binding(ctx.teamId, row.deviceCodeHash), key.key);
    await ctx.db.update(deviceLogins).set({ keyId: key.uid, keySealed }).where(thisLogin);
  } catch (err) {
    // the CLI learns it was not let in rather than waiting out the ten minutes
    await ctx.db.update(deviceLogins).set({ deniedAt: now }).where(thisLogin);
    throw err;
  }
  return shown;
}
