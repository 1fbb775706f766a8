import type { IntegrationLinkCode } from "@ambit/protocol";
import { saveLinkCode } from "../../integrations/user-links.ts";
import { AppError } from "../../lib/errors.ts";
import { newUid } from "../../lib/ids.ts";
import { type Ctx, requireRole } from "../context.ts";
import { getIntegrationRow } from "./get-integration.ts";

/**
 * Mints a one-time code that links the caller's account in the integration's tool (their Slack
 * user) to them: they type `/ambit link <code>` there. Members only, for themselves only: a
 * service account or a key minted for someone else links nobody.
 */
export async function createLinkCode({
  ctx,
  id,
}: {
  ctx: Ctx;
  id: string;
}): Promise<IntegrationLinkCode> {
  requireRole(ctx, "member", "Linking your account in an integration's tool");
  if (ctx.actor.type !== "user" || !ctx.actor.personal)
    throw new AppError(
      "not_authorized",
      "a link code links the member who asks for it: use your own personal API key (`ambit login`), not a service account's or a key minted for you",
    );
  const row = await getIntegrationRow(ctx, id);
  if (row.type !== "slack")
    throw new AppError(
      "operation_not_supported",
      `a '${row.type}' integration does not link accounts; only slack does`,
    );
  const code = newUid(12);
  const ref = { env: ctx.env, teamId: ctx.teamId, integrationId: row.id };
  const { expiresAt } = await saveLinkCode(ref, code, ctx.actor.id);
  const command = (row.settings as { command?: string } | null)?.command ?? "/ambit";
  return {
    code,
    expires_at: new Date(expiresAt).toISOString(),
    instructions: `In Slack, type: ${command} link ${code}`,
  };
}
