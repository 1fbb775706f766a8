import type { Role } from "@ambit/protocol";
import { and, eq } from "drizzle-orm";
import { createDb } from "../../db/client.ts";
import { memberships, users } from "../../db/schema.ts";
import { roleAtLeast } from "../../lib/roles.ts";

/**
 * The team member a Linear user's email belongs to, when they may start runs (a viewer may not:
 * a run holds the team's secrets). Emails are stored lower-cased; another team's member is not
 * found.
 */
export async function memberByEmail(
  d1: D1Database,
  teamId: string,
  email: string,
): Promise<{ userId: string; role: Role } | null> {
  const [row] = await createDb(d1)
    .select({ userId: users.id, role: memberships.role })
    .from(users)
    .innerJoin(memberships, eq(memberships.userId, users.id))
    .where(and(eq(users.email, email.trim().toLowerCase()), eq(memberships.teamId, teamId)))
    .limit(1);
  return row && roleAtLeast(row.role, "member") ? row : null;
}
