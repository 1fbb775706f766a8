import { linkedMember, memberByEmail } from "../user-links.ts";
import type { SlackIntegration } from "./record.ts";
import { SlackApiError, type SlackClient } from "./web-api.ts";

type SlackUser = {
  is_bot?: boolean;
  deleted?: boolean;
  is_email_confirmed?: boolean;
  profile?: { email?: string };
};

/**
 * The team member a Slack user is, or null: first a link they made (`/ambit link <code>`), then,
 * if the settings allow, the member with the email Slack says the user confirmed (`users.info`
 * with `users:read.email`). An unconfirmed email is never trusted: anyone can type one.
 */
export async function memberOf(
  env: Env,
  integration: SlackIntegration,
  client: SlackClient,
  slackUserId: string,
): Promise<string | null> {
  const ref = { env, teamId: integration.teamId, integrationId: integration.id };
  const linked = await linkedMember(ref, slackUserId);
  if (linked || !integration.settings.match_email) return linked;
  const user = await client
    .call<{ user: SlackUser }>("users.info", { user: slackUserId })
    .then((r) => r.user)
    .catch((err: unknown) => {
      // a user Slack does not know, or a token without `users:read.email`: not matched
      if (err instanceof SlackApiError) return null;
      throw err;
    });
  const email = user?.profile?.email;
  if (!user || !email || user.is_bot || user.deleted || user.is_email_confirmed !== true)
    return null;
  return (await memberByEmail(ref, email))?.userId ?? null;
}
