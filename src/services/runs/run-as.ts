import type { RunAgentRequest } from "@ambit/protocol";
import { and, eq, or } from "drizzle-orm";
import { memberships, users } from "../../db/schema.ts";
import { AppError } from "../../lib/errors.ts";
import type { AgentSettings } from "../config/identities.ts";
import { loadTeamConfig } from "../config/team-config.ts";
import type { Ctx } from "../context.ts";

/** Who a new run is for: the named agent it runs as, and the person it is made on behalf of. */
export type RunAs = { agentUid?: string; onBehalfOf?: string };

/**
 * A key bound to a named agent (its principal is the agent) makes runs that run as that agent.
 * Oz's `on_behalf_of` (an email or a user id): only such a key, of an agent that allows it
 * (`on_behalf_of_enabled`, set by admins), for an active member, on a team run; the run is then
 * that member's, executed by the agent, and gets no one's personal secrets.
 */
export async function runAs(ctx: Ctx, req: RunAgentRequest): Promise<RunAs> {
  const bound =
    ctx.actor.type === "service_account"
      ? (await loadTeamConfig(ctx, ctx.configVersion)).agents.find((a) => a.id === ctx.actor.id)
      : undefined;
  if (bound && req.agent_identity_uid && req.agent_identity_uid !== bound.id) {
    throw new AppError(
      "not_authorized",
      `this API key acts as the named agent '${bound.name}' (${bound.id}), so its runs run as it; omit agent_identity_uid or use a key of agent ${req.agent_identity_uid}`,
    );
  }
  const agentUid = bound?.id ?? req.agent_identity_uid;
  if (!req.on_behalf_of) return { agentUid };
  if (!bound) {
    throw new AppError(
      "not_authorized",
      "on_behalf_of needs a named agent's API key (POST /api/v1/api-keys with agent_uid, or `ambit api-key create --agent <uid>`); omit it to run as yourself",
    );
  }
  if (!(bound.settings as AgentSettings).on_behalf_of_enabled) {
    throw new AppError(
      "not_authorized",
      `the named agent '${bound.name}' does not act on behalf of members: a team admin enables it (on_behalf_of_enabled: true on PATCH /api/v1/agent/identities/${bound.id})`,
    );
  }
  if (req.team === false) {
    throw new AppError("invalid_request", "on_behalf_of is for team runs only; omit team", {
      errors: [{ path: "on_behalf_of", message: "team runs only" }],
    });
  }
  const who = req.on_behalf_of.trim();
  const [member] = await ctx.db
    .select({ id: users.id })
    .from(memberships)
    .innerJoin(users, eq(users.id, memberships.userId))
    .where(
      and(
        eq(memberships.teamId, ctx.teamId),
        or(eq(users.id, who), eq(users.email, who.toLowerCase())),
      ),
    )
    .limit(1);
  if (!member) {
    throw new AppError(
      "not_authorized",
      `on_behalf_of '${who}' is not a member of this team: name a member by email or user id`,
    );
  }
  return { agentUid: bound.id, onBehalfOf: member.id };
}
