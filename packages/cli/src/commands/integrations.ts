import type { IntegrationCreateParams, IntegrationUpdateParams } from "@ambit/sdk";
import type { IntegrationItem } from "@ambit/protocol";
import { CliError, type Command, type Values, str, UsageError } from "../command.ts";
import { EXIT } from "../exit-codes.ts";
import { readTextFile } from "../input.ts";
import { printJson, table } from "../output.ts";

/** The flags that shape an integration, for create and update alike. */
const SHAPE = {
  secret: {
    type: "string",
    value: "<secret>",
    description:
      "the signing secret of deliveries: a webhook's (create makes one when left out), or Linear's webhook secret",
  },
  "api-key": {
    type: "string",
    value: "<lin_api_…>",
    description: "linear: the personal API key its activities are posted with",
  },
  "signing-secret": {
    type: "string",
    value: "<secret>",
    description: "a Slack app's signing secret (Basic Information → App Credentials)",
  },
  "bot-token": {
    type: "string",
    value: "<xoxb-…>",
    description: "a Slack app's bot token (OAuth & Permissions → Bot User OAuth Token)",
  },
  "client-id": {
    type: "string",
    value: "<id>",
    description:
      "a Slack or Linear app's client id, to install it with OAuth instead of a bot token or API key",
  },
  "client-secret": {
    type: "string",
    value: "<secret>",
    description: "a Slack or Linear app's client secret, with --client-id",
  },
  template: {
    type: "string",
    short: "p",
    value: "<text>",
    description: "the run's prompt, with {{payload.path}} placeholders",
  },
  "template-file": { type: "string", value: "<path>", description: "the template from a file" },
  settings: {
    type: "string",
    value: "<json>",
    description:
      'the kind\'s settings as JSON, e.g. \'{"filters":[{"path":"action","equals":"opened"}]}\'',
  },
  environment: { type: "string", short: "e", value: "<uid>", description: "its runs' environment" },
  model: { type: "string", value: "<id>", description: "its runs' model" },
  host: { type: "string", value: "<worker-id>", description: "the host pool its runs go to" },
} as const;

/** The credentials the flags give, named as the kind names them. */
function credentialsOf(values: Values, type: string): Record<string, string> | undefined {
  const flags: Record<string, string> =
    type === "linear"
      ? {
          secret: "webhook_secret",
          "api-key": "api_key",
          "client-id": "client_id",
          "client-secret": "client_secret",
        }
      : type === "slack"
        ? {
            "signing-secret": "signing_secret",
            "bot-token": "bot_token",
            "client-id": "client_id",
            "client-secret": "client_secret",
          }
        : { secret: "secret" };
  const credentials: Record<string, string> = {};
  for (const [flag, field] of Object.entries(flags))
    if (str(values[flag])) credentials[field] = str(values[flag])!;
  return Object.keys(credentials).length ? credentials : undefined;
}

function shape(values: Values, cmd: string, type: string) {
  if (str(values["api-key"]) !== undefined && type !== "linear")
    throw new UsageError("--api-key is for linear integrations", cmd);
  if (str(values.template) !== undefined && str(values["template-file"]) !== undefined)
    throw new UsageError("choose --template or --template-file, not both", cmd);
  const template =
    str(values["template-file"]) !== undefined
      ? readTextFile(str(values["template-file"])!, "--template-file", cmd)
      : str(values.template);
  let settings: Record<string, unknown> | undefined;
  if (str(values.settings) !== undefined) {
    try {
      settings = JSON.parse(str(values.settings)!);
    } catch (err) {
      throw new CliError(
        `--settings is not valid JSON: ${(err as Error).message}`,
        EXIT.USAGE,
        `see \`${cmd} --help\``,
      );
    }
  }
  const defaults: Record<string, string> = {};
  if (str(values.environment)) defaults.environment_id = str(values.environment)!;
  if (str(values.model)) defaults.model_id = str(values.model)!;
  if (str(values.host)) defaults.worker_host = str(values.host)!;
  const credentials = credentialsOf(values, type);
  return {
    ...(credentials ? { credentials } : {}),
    ...(template !== undefined ? { prompt_template: template } : {}),
    ...(settings ? { settings } : {}),
    ...(Object.keys(defaults).length ? { run_defaults: defaults } : {}),
  };
}

function describe(i: IntegrationItem): string {
  const set = Object.keys(i.credentials).filter((k) => i.credentials[k]);
  const lines = [
    ["UID", i.uid],
    ["Name", i.name],
    ["Type", i.type],
    ["Enabled", i.enabled ? "yes" : "no"],
    ["Inbound URL", i.inbound_url],
    ["Credentials", set.length ? `${set.join(", ")} (set)` : "none"],
    ["Acts as", `${i.updated_by.display_name ?? i.updated_by.email ?? i.updated_by.uid}`],
    ["Run defaults", JSON.stringify(i.run_defaults)],
    ["Settings", JSON.stringify(i.settings)],
    ["Template", i.prompt_template ?? "(the kind's default)"],
  ];
  return `${lines.map(([k, v]) => `${`${k}:`.padEnd(14)}${v}`).join("\n")}\n`;
}

export const integrationList: Command = {
  path: ["integration", "list"],
  summary: "List the team's integrations",
  examples: [
    "ambit integration list",
    "ambit integration list --json | jq -r '.integrations[].inbound_url'",
  ],
  async run({ client, io, json }) {
    const { integrations } = await client().integrations.list();
    if (json) return (printJson(io, { integrations }), 0);
    if (!integrations.length)
      return (io.out.write("No integrations. Create one with `ambit integration create`.\n"), 0);
    io.out.write(
      table(
        ["UID", "NAME", "TYPE", "ENABLED", "INBOUND URL"],
        integrations.map((i) => [i.uid, i.name, i.type, i.enabled ? "yes" : "no", i.inbound_url]),
      ),
    );
    return 0;
  },
};

export const integrationGet: Command = {
  path: ["integration", "get"],
  summary: "Show an integration (credentials show only which are set)",
  args: "<uid>",
  minArgs: 1,
  examples: ["ambit integration get $INTEGRATION"],
  async run({ positionals, client, io, json }) {
    const i = await client().integrations.retrieve(positionals[0]);
    if (json) return (printJson(io, i), 0);
    io.out.write(describe(i));
    return 0;
  },
};

export const integrationCreate: Command = {
  path: ["integration", "create"],
  summary: "Create an integration (admin); a webhook's generated secret is printed once",
  args: "<name>",
  minArgs: 1,
  options: {
    type: {
      type: "string",
      value: "webhook|github|slack|linear",
      description: "its kind (default webhook)",
    },
    ...SHAPE,
    disabled: { type: "boolean", description: "create it disabled" },
  },
  examples: [
    'ambit integration create tickets -p "Fix {{payload.ticket.title}}: {{payload.ticket.body}}"',
    'ambit integration create alerts --settings \'{"filters":[{"path":"severity","in":["high"]}]}\' --json',
    'ambit integration create slack --type slack --signing-secret $SLACK_SIGNING_SECRET --bot-token $SLACK_BOT_TOKEN --settings \'{"channels":{"C0123":"<env uid>"}}\'',
    "ambit integration create slack --type slack --signing-secret $SLACK_SIGNING_SECRET --client-id $SLACK_CLIENT_ID --client-secret $SLACK_CLIENT_SECRET",
    'ambit integration create linear --type linear --api-key "$LINEAR_API_KEY" --secret "$LINEAR_WEBHOOK_SECRET" --settings \'{"teams":{"ENG":"<env-uid>"}}\'',
    'ambit integration create linear --type linear --client-id "$LINEAR_CLIENT_ID" --client-secret "$LINEAR_CLIENT_SECRET" --secret "$LINEAR_WEBHOOK_SECRET"',
  ],
  async run({ positionals, values, client, io, json }) {
    const type = str(values.type) ?? "webhook";
    const body = {
      type: type as IntegrationCreateParams["type"],
      name: positionals[0],
      ...shape(values, "ambit integration create", type),
      ...(values.disabled ? { enabled: false } : {}),
    } as IntegrationCreateParams;
    const c = client();
    const i = await c.integrations.create(body);
    // an app given its client credentials and no token (Slack's bot token, Linear's API key) is
    // installed with OAuth
    const token = i.type === "slack" ? i.credentials.bot_token : i.credentials.api_key;
    const install =
      (i.type === "slack" || i.type === "linear") && i.credentials.client_id && !token
        ? await c.integrations.createInstallLink(i.uid)
        : undefined;
    if (json) return (printJson(io, install ? { ...i, install_link: install } : i), 0);
    io.out.write(describe(i));
    if (i.generated_credentials?.secret)
      io.err.write(
        `\nSigning secret (shown once; give it to the sender): ${i.generated_credentials.secret}\n`,
      );
    if (i.type === "slack")
      io.err.write(
        `\nIn the Slack app's settings, set this URL as the Event Subscriptions request URL (events app_mention, message.im), the /ambit slash command's URL and the Interactivity request URL:\n  ${i.inbound_url}\nMembers then link themselves once with \`ambit integration link slack\` (or Slack matches their confirmed email).\n`,
      );
    if (install)
      io.err.write(
        `\nInstall the app in your workspace (the link works once, until ${install.expires_at}):\n  ${install.url}\n`,
      );
    return 0;
  },
};

export const integrationUpdate: Command = {
  path: ["integration", "update"],
  summary: "Change an integration (admin); flags you leave out keep their value",
  args: "<uid>",
  minArgs: 1,
  options: {
    name: { type: "string", value: "<name>", description: "rename it" },
    enable: { type: "boolean", description: "enable it" },
    disable: { type: "boolean", description: "disable it (its deliveries start nothing)" },
    ...SHAPE,
  },
  examples: [
    "ambit integration update $INTEGRATION --disable",
    "ambit integration update $INTEGRATION --template-file prompt.md --model claude-sonnet",
  ],
  async run({ positionals, values, client, io, json }) {
    const cmd = "ambit integration update";
    if (values.enable && values.disable)
      throw new UsageError("choose --enable or --disable, not both", cmd);
    // credentials are named by the kind: ask which it is only when some are given
    const credentialFlags = [
      "secret",
      "api-key",
      "signing-secret",
      "bot-token",
      "client-id",
      "client-secret",
    ];
    const type = credentialFlags.some((f) => str(values[f]) !== undefined)
      ? (await client().integrations.retrieve(positionals[0])).type
      : "webhook";
    const body: IntegrationUpdateParams = {
      ...shape(values, cmd, type),
      ...(str(values.name) ? { name: str(values.name)! } : {}),
      ...(values.enable ? { enabled: true } : values.disable ? { enabled: false } : {}),
    };
    const i = await client().integrations.update(positionals[0], body);
    if (json) return (printJson(io, i), 0);
    io.out.write(describe(i));
    return 0;
  },
};

export const integrationDelete: Command = {
  path: ["integration", "delete"],
  summary: "Delete an integration and its delivery log (its runs stay)",
  args: "<uid>",
  minArgs: 1,
  examples: ["ambit integration delete $INTEGRATION"],
  async run({ positionals, client, io, json }) {
    const r = await client().integrations.delete(positionals[0]);
    if (json) return (printJson(io, r), 0);
    io.out.write(`Deleted ${positionals[0]}\n`);
    return 0;
  },
};
