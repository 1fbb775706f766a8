import type { IntegrationKind } from "../kind.ts";
import { SlackCredentials } from "./credentials.ts";
import { decideSlack } from "./decide.ts";
import { slackOAuth } from "./oauth.ts";
import { parseSlackBody, sslCheckReply } from "./payload.ts";
import { slackRecord } from "./record.ts";
import { replyToSlack } from "./reply.ts";
import { reportToSlack } from "./report.ts";
import { SlackSettings } from "./settings.ts";
import { verifySlackRequest } from "./verify.ts";

type ThreadHasRun = (env: Env, integrationId: string, threadKey: string) => Promise<boolean>;

/**
 * The `slack` integration kind (README.md in this folder): events, the slash command and the
 * Cancel button in; a thread's status message, question and final reply back.
 */
export function createSlackKind(options: {
  threadHasRun: ThreadHasRun;
}): IntegrationKind<SlackCredentials, SlackSettings> {
  return {
    type: "slack",
    credentials: SlackCredentials,
    settings: SlackSettings,
    oauth: slackOAuth,
    preVerify: ({ headers, body }) => sslCheckReply(headers, body),
    async verify({ headers, body, credentials, now }) {
      const parsed = SlackCredentials.safeParse(credentials);
      if (!parsed.success) return { ok: false, status: 401, reason: "credentials do not validate" };
      return verifySlackRequest({ headers, body, credentials: parsed.data, now });
    },
    parse: ({ headers, body }) => parseSlackBody(headers, body),
    reply: ({ payload }) => replyToSlack(payload),
    async decide({ env, integration, delivery }) {
      return decideSlack({
        env,
        integration: slackRecord(integration),
        delivery,
        threadHasRun: (key) => options.threadHasRun(env, integration.id, key),
      });
    },
    async report({ env, integration, thread, event }) {
      return reportToSlack({ env, integration: slackRecord(integration), thread, event });
    },
  };
}

export const slackKind = createSlackKind({ threadHasRun: async () => false });

export { SlackCredentials, SlackSettings };
