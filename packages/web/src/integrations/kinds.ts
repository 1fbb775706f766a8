// What the console asks for each type of integration: the ways to connect it, and the credential
// fields of each way, named as the API names them (docs/integrations.md). Credentials are
// write-only: the form's password inputs are never pre-filled, and left empty on edit they stay.
import type { IntegrationItem } from "@ambit/protocol";
import type { Field } from "../settings/resource.ts";
import type { IntegrationType } from "./search.ts";

export { INTEGRATION_TYPES as TYPES, type IntegrationType } from "./search.ts";

/** One way to connect a type: its credential fields, and whether it ends with an OAuth install. */
export type ConnectMode = { id: string; label: string; fields: Field[]; oauth?: boolean };

const secret = (name: string, label: string, help?: string, required = true): Field => ({
  name,
  label,
  kind: "secret",
  required,
  help,
});
const text = (name: string, label: string, help?: string): Field => ({
  name,
  label,
  kind: "text",
  required: true,
  help,
});

const SLACK_SIGNING = secret(
  "signing_secret",
  "Signing secret",
  "Basic Information → App Credentials in your Slack app.",
);
const LINEAR_WEBHOOK = secret(
  "webhook_secret",
  "Webhook secret",
  "The signing secret of the Linear webhook (or of the OAuth app's webhook).",
);
const GITHUB_WEBHOOK = secret(
  "webhook_secret",
  "Webhook secret",
  "The same long random secret as in the GitHub App's (or the hook's) settings.",
);
const oauthClient = (vendor: string): Field[] => [
  text("client_id", "Client id", `Your ${vendor} app's client id.`),
  secret("client_secret", "Client secret"),
];

export const KINDS: Record<IntegrationType, { label: string; modes: ConnectMode[] }> = {
  webhook: {
    label: "Signed webhook",
    modes: [
      {
        id: "webhook",
        label: "Standard Webhooks",
        fields: [
          secret(
            "secret",
            "Signing secret",
            "Left empty on create, a whsec_ secret is made and shown once.",
            false,
          ),
        ],
      },
    ],
  },
  github: {
    label: "GitHub",
    modes: [
      {
        id: "app",
        label: "A GitHub App",
        fields: [
          text("app_id", "App ID"),
          // a PEM is several lines: a text area (a password input would drop its line breaks)
          { name: "private_key", label: "Private key (PEM)", kind: "multiline", required: true },
          GITHUB_WEBHOOK,
        ],
      },
      { id: "token", label: "A token", fields: [secret("token", "Token"), GITHUB_WEBHOOK] },
    ],
  },
  slack: {
    label: "Slack",
    modes: [
      {
        id: "oauth",
        label: "Install with OAuth",
        oauth: true,
        fields: [SLACK_SIGNING, ...oauthClient("Slack")],
      },
      {
        id: "token",
        label: "Paste a bot token",
        fields: [
          SLACK_SIGNING,
          secret("bot_token", "Bot token", "xoxb-…, OAuth & Permissions → Bot User OAuth Token."),
        ],
      },
    ],
  },
  linear: {
    label: "Linear",
    modes: [
      {
        id: "oauth",
        label: "Install as an agent app (OAuth)",
        oauth: true,
        fields: [LINEAR_WEBHOOK, ...oauthClient("Linear")],
      },
      {
        id: "key",
        label: "Paste an API key",
        fields: [LINEAR_WEBHOOK, secret("api_key", "API key", "A personal key, lin_api_….")],
      },
    ],
  },
};

/** The mode an existing integration was connected with, read from which credentials are set. */
export function modeOf(item: IntegrationItem): ConnectMode {
  const modes = KINDS[item.type].modes;
  const set = (k: string) => item.credentials[k] === true;
  if (item.type === "github") return modes[set("token") ? 1 : 0];
  if (item.type === "slack" || item.type === "linear") return modes[set("client_id") ? 0 : 1];
  return modes[0];
}

/** Whether an admin can install it with OAuth now (the client id and secret are stored). */
export const installable = (item: IntegrationItem) =>
  (item.type === "slack" || item.type === "linear") &&
  item.credentials.client_id === true &&
  item.credentials.client_secret === true;

/** Whether it is connected: a Slack bot token, a Linear key or token, or GitHub's credentials. */
export function connected(item: IntegrationItem): boolean {
  const set = (k: string) => item.credentials[k] === true;
  if (item.type === "slack") return set("bot_token");
  if (item.type === "linear") return set("api_key") || set("access_token");
  return true;
}
