import { eq } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { users } from "../db/schema.ts";
import { newUid } from "../lib/ids.ts";

type UserRow = typeof users.$inferSelect;

/**
 * The user with this email, created if new. The insert is committed on its own (not in the
 * caller's batch) so that concurrent requests for the same new email all end with the one row
 * that won: a batch referencing a losing id would fail its foreign key.
 */
export async function ensureUser(
  db: Db,
  input: { email: string; display_name?: string },
  now: number,
): Promise<UserRow> {
  const email = input.email.trim().toLowerCase();
  const byEmail = () => db.select().from(users).where(eq(users.email, email)).limit(1);
  const [existing] = await byEmail();
  if (existing) return existing;
  const [inserted] = await db
    .insert(users)
    .values({ id: newUid(), email, displayName: input.display_name ?? null, createdAt: now })
    .onConflictDoNothing()
    .returning();
  if (inserted) return inserted;
  const [winner] = await byEmail();
  if (!winner) throw new Error(`user ${email} neither inserted nor found`);
  return winner;
}
