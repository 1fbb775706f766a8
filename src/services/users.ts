import { eq } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { users } from "../db/schema.ts";
import { newUid } from "../lib/ids.ts";

type UserRow = typeof users.$inferSelect;

/** The user with this email, or a new one together with the insert that creates it. */
export async function findOrNewUser(db: Db, input: { email: string; display_name?: string }, now: number) {
  const email = input.email.trim().toLowerCase();
  const [existing] = await db.select().from(users).where(eq(users.email, email)).limit(1);
  if (existing) return { user: existing, insert: undefined };
  const user: UserRow = { id: newUid(), email, displayName: input.display_name ?? null, createdAt: now };
  return { user, insert: db.insert(users).values(user).onConflictDoNothing() };
}
