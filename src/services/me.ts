import type { Me } from "@ambit/protocol";
import { eq } from "drizzle-orm";
import { teams, users } from "../db/schema.ts";
import { sessionUidOf } from "../lib/web-session.ts";
import type { Ctx } from "./context.ts";

/** Who the caller is: their user (none for a service account), team, role now, credential kind. */
export async function getMe({ ctx }: { ctx: Ctx }): Promise<Me> {
  if (ctx.actor.type === "system") throw new Error("getMe is for callers with a credential");
  const { actor } = ctx;
  const userId = actor.type === "user" ? actor.id : "";
  const [[team], [user]] = await ctx.db.batch([
    ctx.db
      .select({ uid: teams.id, name: teams.name })
      .from(teams)
      .where(eq(teams.id, ctx.teamId))
      .limit(1),
    ctx.db
      .select({ uid: users.id, name: users.displayName, email: users.email })
      .from(users)
      .where(eq(users.id, userId))
      .limit(1),
  ]);
  return {
    user: user ?? null,
    team,
    role: actor.role,
    personal: actor.personal,
    via: sessionUidOf(actor.keyId) ? "session" : "api_key",
  };
}
