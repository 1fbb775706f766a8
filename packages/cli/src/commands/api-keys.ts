import { KeyScope } from "@ambit/protocol";
import type { ApiKeyCreateParams } from "@ambit/sdk";
import { type Command, str, strs, UsageError } from "../command.ts";
import { ago, printJson, table } from "../output.ts";

export const apiKeyList: Command = {
  path: ["api-key", "list"],
  summary: "List the team's API keys (admins); secrets are never shown again",
  examples: ["ambit api-key list", "ambit api-key list --json"],
  async run({ client, io, json }) {
    const { api_keys } = await client().apiKeys.list();
    if (json) return (printJson(io, { api_keys }), 0);
    io.out.write(
      table(
        ["UID", "NAME", "PREFIX", "ROLE", "SCOPES", "PRINCIPAL", "LAST USED", "EXPIRES", "STATUS"],
        api_keys.map((k) => [
          k.uid,
          k.name,
          `${k.prefix}…`,
          k.role,
          scopesText(k),
          `${k.agent_uid ? "agent" : k.principal.type} ${k.principal.uid}`,
          ago(k.last_used_at),
          k.expires_at ?? "never",
          k.revoked_at ? "revoked" : "active",
        ]),
      ),
    );
    return 0;
  },
};

const SCOPES = KeyScope.options;

/** A key's scopes, and the pools of a host key. */
const scopesText = (k: { scopes: string[]; pools: string[] | null }) =>
  `${k.scopes.join(",") || "-"}${k.pools ? ` (pools ${k.pools.join(",")})` : ""}`;

export const apiKeyCreate: Command = {
  path: ["api-key", "create"],
  summary:
    "Create an API key for yourself (or, admins, for a member, a service account, a named agent or hosts); shown once",
  description:
    "Scopes limit what a key may do beside its role: runs:read, runs:write, config:read, config:write, hosts:connect, admin. Default: everything its role allows. A host key is `--scope hosts:connect --pool <pool>`: it connects hosts to those pools and calls nothing else.",
  args: "<name>",
  minArgs: 1,
  options: {
    role: {
      type: "string",
      value: "<role>",
      description: "owner, admin, member or viewer (default: yours, or the member's if lower)",
    },
    user: {
      type: "string",
      value: "<uid>",
      description:
        "mint the key for this member of the team (admins; default: you). It is delegated: it never reaches their personal runs or secrets; they make their own key with it, once",
    },
    "service-account": {
      type: "string",
      value: "<uid>",
      description: "mint the key for this service account (admins; `ambit service-account list`)",
    },
    agent: {
      type: "string",
      value: "<uid>",
      description:
        "mint the key for this named agent (admins): runs made with it run as the agent, and may use on_behalf_of if the agent allows it",
    },
    scope: {
      type: "string",
      multiple: true,
      value: "<scope>",
      description: `limit the key to these scopes (${SCOPES.join(", ")}); default: all its role allows`,
    },
    pool: {
      type: "string",
      multiple: true,
      value: "<pool>",
      description: "a host key: the pools (worker ids) it may join; implies --scope hosts:connect",
    },
    "expires-in-days": { type: "string", value: "<n>", description: "expire after n days" },
    "expires-at": { type: "string", value: "<time>", description: "expire at this RFC 3339 time" },
  },
  examples: [
    "ambit api-key create ci --role member --expires-in-days 90",
    "ambit api-key create ada-laptop --user $MEMBER_UID",
    "ambit api-key create dashboards --scope runs:read",
    "ambit api-key create build-host --scope hosts:connect --pool build --service-account $SA_UID",
    "ambit api-key create triage-bot --agent $AGENT_UID",
    "ambit api-key create ci --json | jq -r .key",
  ],
  async run({ positionals, values, client, io, json }) {
    const days = str(values["expires-in-days"]);
    if (days !== undefined && !/^\d+$/.test(days))
      throw new UsageError(
        "--expires-in-days wants a whole number of days",
        "ambit api-key create",
      );
    const pools = strs(values.pool);
    const scopes = strs(values.scope);
    if (pools.length && scopes.some((s) => s !== "hosts:connect"))
      throw new UsageError("--pool makes a host key: it goes with --scope hosts:connect only");
    const unknown = scopes.filter((s) => !SCOPES.includes(s as KeyScope));
    if (unknown.length)
      throw new UsageError(`unknown scope ${unknown.join(", ")}: use ${SCOPES.join(", ")}`);
    const body: ApiKeyCreateParams = {
      name: positionals[0],
      ...(str(values.role) ? { role: str(values.role) as ApiKeyCreateParams["role"] } : {}),
      ...(str(values.user) ? { user_uid: str(values.user) } : {}),
      ...(str(values["service-account"])
        ? { service_account_uid: str(values["service-account"]) }
        : {}),
      ...(str(values.agent) ? { agent_uid: str(values.agent) } : {}),
      ...(pools.length
        ? { scopes: ["hosts:connect"], pools }
        : scopes.length
          ? { scopes: scopes as KeyScope[] }
          : {}),
      ...(days ? { expires_in_days: Number(days) } : {}),
      ...(str(values["expires-at"]) ? { expires_at: str(values["expires-at"]) } : {}),
    };
    const created = await client().apiKeys.create(body);
    if (json) return (printJson(io, created), 0);
    io.out.write(`${created.key}\n`);
    io.err.write(
      `Created key '${created.name}' (${created.uid}, role ${created.role}, scopes ${scopesText(created)}${created.expires_at ? `, expires ${created.expires_at}` : ""}). Store it now: it is not shown again.\n`,
    );
    if (created.personal_access === false) {
      io.err.write(
        "It is delegated: it acts on the team's resources only. Its holder makes a key of their own with it, once: AMBIT_API_KEY=<this key> ambit api-key create <name>\n",
      );
    }
    return 0;
  },
};

export const apiKeyDelete: Command = {
  path: ["api-key", "delete"],
  summary: "Revoke an API key at once (admins)",
  args: "<uid>",
  minArgs: 1,
  examples: ["ambit api-key delete $KEY_UID"],
  async run({ positionals, client, io, json }) {
    await client().apiKeys.delete(positionals[0]);
    if (json) printJson(io, { uid: positionals[0], revoked: true });
    else io.out.write(`Revoked ${positionals[0]}\n`);
    return 0;
  },
};
