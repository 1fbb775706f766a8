import type { Role } from "@ambit/sdk";
import { type Command, str, UsageError } from "../command.ts";
import { printJson, table } from "../output.ts";

const ROLES: Role[] = ["owner", "admin", "member", "viewer"];
/** A `--role` value, one of `allowed`. */
export const role = <R extends Role = Role>(
  v: string | undefined,
  cmd: string,
  allowed: readonly R[] = ROLES as R[],
): R | undefined => {
  if (v !== undefined && !allowed.includes(v as R))
    throw new UsageError(`--role must be one of ${allowed.join(", ")}`, cmd);
  return v as R | undefined;
};

export const memberList: Command = {
  path: ["member", "list"],
  summary: "List the team's members and their roles",
  examples: ["ambit member list", "ambit member list --json"],
  async run({ client, io, json }) {
    const { members } = await client().team.members.list();
    if (json) return (printJson(io, { members }), 0);
    io.out.write(
      table(
        ["UID", "TYPE", "EMAIL", "NAME", "ROLE", "JOINED"],
        members.map((m) => [
          m.uid,
          m.type === "service_account" ? "service account" : "user",
          m.email || "-",
          m.display_name ?? "-",
          m.role,
          m.joined_at,
        ]),
      ),
    );
    return 0;
  },
};

export const memberAdd: Command = {
  path: ["member", "add"],
  summary: "Add a member (admins); then give them a key with `ambit api-key create --user <uid>`",
  args: "<email>",
  minArgs: 1,
  options: {
    role: {
      type: "string",
      value: "<role>",
      description: "owner, admin, member (default) or viewer",
    },
    name: { type: "string", value: "<display-name>", description: "their display name" },
  },
  examples: [
    "ambit member add ada@example.com",
    "ambit member add bob@example.com --role viewer --name Bob",
  ],
  async run({ positionals, values, client, io, json }) {
    const member = await client().team.members.add({
      email: positionals[0],
      role: role(str(values.role), "ambit member add"),
      display_name: str(values.name),
    });
    if (json) return (printJson(io, member), 0);
    io.out.write(
      `Added ${member.email} as ${member.role} (${member.uid}). Give them a key: ambit api-key create <name> --user ${member.uid}\n`,
    );
    return 0;
  },
};

export const memberUpdate: Command = {
  path: ["member", "update"],
  summary: "Change a member's role (admins)",
  args: "<uid>",
  minArgs: 1,
  options: {
    role: {
      type: "string",
      value: "<role>",
      description: "owner, admin, member or viewer (required)",
    },
  },
  examples: ["ambit member update $UID --role admin"],
  async run({ positionals, values, client, io, json }) {
    const r = role(str(values.role), "ambit member update");
    if (!r) throw new UsageError("ambit member update needs --role", "ambit member update");
    const member = await client().team.members.update(positionals[0], { role: r });
    if (json) return (printJson(io, member), 0);
    io.out.write(`${member.email} is now ${member.role}\n`);
    return 0;
  },
};

export const memberRemove: Command = {
  path: ["member", "remove"],
  summary: "Remove a member (admins) or leave the team (your own uid); their keys are revoked",
  args: "<uid>",
  minArgs: 1,
  examples: ["ambit member remove $UID"],
  async run({ positionals, client, io, json }) {
    await client().team.members.remove(positionals[0]);
    if (json) printJson(io, { uid: positionals[0], removed: true });
    else io.out.write(`Removed ${positionals[0]}\n`);
    return 0;
  },
};
