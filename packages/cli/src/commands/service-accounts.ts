import { type Command, str } from "../command.ts";
import { printJson, table } from "../output.ts";
import { role } from "./members.ts";

/** A service account is never an owner. */
const roleOf = (v: string | undefined, cmd: string) =>
  role(v, cmd, ["admin", "member", "viewer"] as const);

export const serviceAccountList: Command = {
  path: ["service-account", "list"],
  summary: "List the team's service accounts (admins)",
  examples: ["ambit service-account list", "ambit service-account list --json"],
  async run({ client, io, json }) {
    const { service_accounts } = await client().serviceAccounts.list();
    if (json) return (printJson(io, { service_accounts }), 0);
    io.out.write(
      table(
        ["UID", "NAME", "ROLE", "DESCRIPTION", "CREATED"],
        service_accounts.map((a) => [a.uid, a.name, a.role, a.description ?? "-", a.created_at]),
      ),
    );
    return 0;
  },
};

export const serviceAccountCreate: Command = {
  path: ["service-account", "create"],
  summary: "Create a service account: a non-human member (CI, an integration, hosts) (admins)",
  description:
    "It has a role and keys of its own; nobody signs in as it. Its role caps its keys'. Then mint a key: ambit api-key create <name> --service-account <uid>",
  args: "<name>",
  minArgs: 1,
  options: {
    role: {
      type: "string",
      value: "<role>",
      description: "admin, member (default) or viewer; no higher than yours",
    },
    description: { type: "string", value: "<text>", description: "what it is for" },
  },
  examples: [
    "ambit service-account create ci --description 'GitHub Actions'",
    "ambit service-account create build-hosts --role admin",
  ],
  async run({ positionals, values, client, io, json }) {
    const role = roleOf(str(values.role), "ambit service-account create");
    const created = await client().serviceAccounts.create({
      name: positionals[0],
      ...(role ? { role } : {}),
      ...(str(values.description) ? { description: str(values.description) } : {}),
    });
    if (json) return (printJson(io, created), 0);
    io.out.write(`${created.uid}\n`);
    io.err.write(
      `Created service account '${created.name}' (role ${created.role}). Mint its key: ambit api-key create <name> --service-account ${created.uid}\n`,
    );
    return 0;
  },
};

export const serviceAccountUpdate: Command = {
  path: ["service-account", "update"],
  summary: "Rename a service account or change its role (admins); a lower role caps its keys",
  args: "<uid>",
  minArgs: 1,
  options: {
    name: { type: "string", value: "<name>", description: "its new name" },
    role: { type: "string", value: "<role>", description: "admin, member or viewer" },
    description: { type: "string", value: "<text>", description: "what it is for" },
  },
  examples: ["ambit service-account update $SA_UID --role viewer"],
  async run({ positionals, values, client, io, json }) {
    const role = roleOf(str(values.role), "ambit service-account update");
    const updated = await client().serviceAccounts.update(positionals[0], {
      ...(str(values.name) ? { name: str(values.name) } : {}),
      ...(role ? { role } : {}),
      ...(str(values.description) !== undefined ? { description: str(values.description) } : {}),
    });
    if (json) return (printJson(io, updated), 0);
    io.out.write(`Updated ${updated.uid} (${updated.name}, role ${updated.role})\n`);
    return 0;
  },
};

export const serviceAccountDelete: Command = {
  path: ["service-account", "delete"],
  summary: "Delete a service account and revoke its keys at once (admins)",
  args: "<uid>",
  minArgs: 1,
  examples: ["ambit service-account delete $SA_UID"],
  async run({ positionals, client, io, json }) {
    await client().serviceAccounts.delete(positionals[0]);
    if (json) printJson(io, { uid: positionals[0], deleted: true });
    else io.out.write(`Deleted ${positionals[0]} and revoked its keys\n`);
    return 0;
  },
};
