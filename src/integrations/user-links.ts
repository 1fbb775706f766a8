import type { Role } from "@ambit/protocol";
import { and, eq, gt, lt } from "drizzle-orm";
import { createDb } from "../db/client.ts";
import { integrationLinkCodes, integrationUserLinks, memberships, users } from "../db/schema.ts";
import { sha256Hex } from "../lib/hash.ts";

// Which team member an outside user is (a Slack user id, a Linear user's email): a link the member made once with a
// one-time code, or the email the outside tool verified. Kinds call these from `decide`.

/** How long a link code lives: long enough to switch to Slack and type it, short enough to leak harmlessly. */
export const LINK_CODE_TTL_MS = 10 * 60_000;

type Ref = { env: Pick<Env, "DB">; teamId: string; integrationId: string };

/** The member `externalUserId` was linked to, while they are still in the team. */
export async function linkedMember(ref: Ref, externalUserId: string): Promise<string | null> {
  const [hit] = await createDb(ref.env.DB)
    .select({ userId: integrationUserLinks.userId })
    .from(integrationUserLinks)
    .innerJoin(
      memberships,
      and(
        eq(memberships.teamId, integrationUserLinks.teamId),
        eq(memberships.userId, integrationUserLinks.userId),
      ),
    )
    .where(
      and(
        eq(integrationUserLinks.integrationId, ref.integrationId),
        eq(integrationUserLinks.teamId, ref.teamId),
        eq(integrationUserLinks.externalUserId, externalUserId),
      ),
    )
    .limit(1);
  return hit?.userId ?? null;
}

/**
 * The member whose account email is `email` (an address the outside tool says it verified), with
 * their role (a kind may want more than a viewer). Emails are stored lower-cased; another team's
 * member is not found.
 */
export async function memberByEmail(
  ref: Pick<Ref, "env" | "teamId">,
  email: string,
): Promise<{ userId: string; role: Role } | null> {
  const [hit] = await createDb(ref.env.DB)
    .select({ userId: users.id, role: memberships.role })
    .from(users)
    .innerJoin(memberships, eq(memberships.userId, users.id))
    .where(and(eq(users.email, email.trim().toLowerCase()), eq(memberships.teamId, ref.teamId)))
    .limit(1);
  return hit ?? null;
}

/** Stores a code's hash for member `userId` (the code itself is shown to them once). */
export async function saveLinkCode(ref: Ref, code: string, userId: string, now = Date.now()) {
  const db = createDb(ref.env.DB);
  await db.batch([
    // expired codes go as new ones come: the table stays the size of the codes in flight
    db.delete(integrationLinkCodes).where(lt(integrationLinkCodes.expiresAt, now)),
    db.insert(integrationLinkCodes).values({
      codeHash: await sha256Hex(code),
      integrationId: ref.integrationId,
      teamId: ref.teamId,
      userId,
      expiresAt: now + LINK_CODE_TTL_MS,
    }),
  ]);
  return { expiresAt: now + LINK_CODE_TTL_MS };
}

/**
 * Consumes `code` (single use, unexpired, of this integration) and links `externalUserId` to the
 * member who minted it, replacing an earlier link of that outside user. Null: no such code.
 */
export async function redeemLinkCode(
  ref: Ref,
  code: string,
  externalUserId: string,
  now = Date.now(),
): Promise<string | null> {
  const db = createDb(ref.env.DB);
  const [hit] = await db
    .delete(integrationLinkCodes)
    .where(
      and(
        eq(integrationLinkCodes.codeHash, await sha256Hex(code.trim())),
        eq(integrationLinkCodes.integrationId, ref.integrationId),
        eq(integrationLinkCodes.teamId, ref.teamId),
        gt(integrationLinkCodes.expiresAt, now),
      ),
    )
    .returning({ userId: integrationLinkCodes.userId });
  if (!hit) return null;
  await db
    .insert(integrationUserLinks)
    .values({
      integrationId: ref.integrationId,
      externalUserId,
      teamId: ref.teamId,
      userId: hit.userId,
      createdAt: now,
    })
    .onConflictDoUpdate({
      target: [integrationUserLinks.integrationId, integrationUserLinks.externalUserId],
      set: { userId: hit.userId, createdAt: now },
    });
  return hit.userId;
}
