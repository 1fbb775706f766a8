import { getConfig } from "../../env.ts";
import type { IntegrationKind } from "../kind.ts";
import { LinearCredentials } from "./credentials.ts";
import { decideLinear } from "./decide.ts";
import { linearClient } from "./graphql.ts";
import { linearOAuth } from "./oauth.ts";
import { type LinearIntegration, linearRecord } from "./record.ts";
import { reportToLinear } from "./report.ts";
import { LinearSettings } from "./settings.ts";
import { refreshable, refreshLinearToken } from "./token.ts";
import { verifyLinearDelivery } from "./verify.ts";

/**
 * The `linear` integration kind (README.md in this folder): agent session events in, agent
 * activities back. `fetch` is how it reaches Linear (tests pass a fake's); Linear's origin is the
 * operator's `LINEAR_API_URL`.
 */
export function createLinearKind(
  options: { fetch?: typeof fetch } = {},
): IntegrationKind<LinearCredentials, LinearSettings> {
  /** the client as the integration, its OAuth token refreshed (and stored) when due or refused */
  const clientOf = (env: Env, integration: LinearIntegration) =>
    linearClient({
      apiUrl: getConfig(env).LINEAR_API_URL,
      credentials: integration.credentials,
      fetch: options.fetch,
      ...(refreshable(integration.credentials)
        ? {
            refresh: (used: string) =>
              refreshLinearToken({ env, integration, used, fetch: options.fetch }),
          }
        : {}),
    });
  return {
    type: "linear",
    credentials: LinearCredentials,
    settings: LinearSettings,
    oauth: linearOAuth,
    async verify({ headers, body, credentials, now }) {
      const parsed = LinearCredentials.safeParse(credentials);
      if (!parsed.success) return { ok: false, status: 401, reason: "credentials do not validate" };
      return verifyLinearDelivery({ headers, body, secret: parsed.data.webhook_secret, now });
    },
    async decide({ env, integration, delivery }) {
      const linear = linearRecord(integration);
      const client = clientOf(env, linear);
      return decideLinear({ env, integration: linear, delivery, client });
    },
    async report({ env, integration, thread, event }) {
      const linear = linearRecord(integration);
      const client = clientOf(env, linear);
      await reportToLinear({ env, integration: linear, thread, event, client });
    },
  };
}

export const linearKind = createLinearKind();

export { LinearCredentials, LinearSettings };
