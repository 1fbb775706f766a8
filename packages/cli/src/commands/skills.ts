import path from "node:path";
import { type Command, str, UsageError } from "../command.ts";
import { readTextFile } from "../input.ts";
import { printJson, table } from "../output.ts";
import { removeCommand } from "./collection.ts";

export const skillList: Command = {
  path: ["skill", "list"],
  summary: "List the team's skills (SKILL.md files found in its repositories)",
  options: {
    repo: {
      type: "string",
      short: "r",
      value: "<owner/repo>",
      description: "only this repository's skills",
    },
    "sort-by": { type: "string", value: "<key>", description: "name (default) or last-run" },
  },
  examples: ["ambit skill list", "ambit skill list --repo acme/api --json"],
  async run({ values, client, io, json }) {
    const sort = str(values["sort-by"])?.replace("-", "_");
    if (sort !== undefined && sort !== "name" && sort !== "last_run")
      throw new UsageError("--sort-by must be name or last-run", "ambit skill list");
    const { agents } = await client().agent.skills.list({
      ...(str(values.repo) ? { repo: str(values.repo) } : {}),
      ...(sort ? { sort_by: sort } : {}),
    });
    if (json) return (printJson(io, { agents }), 0);
    const rows = agents.flatMap((s) =>
      s.variants.map((v) => [
        s.name,
        v.id,
        v.environments.map((e) => e.name).join(",") || "-",
        v.description,
      ]),
    );
    if (!rows.length)
      return (
        io.out.write(
          "No skills. Register one: ambit skill add .claude/skills/<name>/SKILL.md --repo owner/repo\n",
        ),
        0
      );
    io.out.write(table(["NAME", "ID (use with --skill)", "ENVIRONMENTS", "DESCRIPTION"], rows));
    return 0;
  },
};

export const skillAdd: Command = {
  path: ["skill", "add"],
  summary: "Register a SKILL.md of a repository (members); hosts also do this after cloning",
  args: "<SKILL.md>",
  minArgs: 1,
  description:
    "Reads the file and registers it as <repo>:<path>. The path is the file's path inside the repository: by default the\nargument as given (relative), or --path.",
  options: {
    repo: {
      type: "string",
      short: "r",
      value: "<owner/repo>",
      description: "the repository it belongs to (required)",
    },
    path: {
      type: "string",
      value: "<skill_path>",
      description: "its path inside the repository (default: the argument)",
    },
    host: { type: "string", value: "<worker-id>", description: "the host that can run it" },
  },
  examples: [
    "ambit skill add .claude/skills/review/SKILL.md --repo acme/api",
    "ambit skill add /tmp/SKILL.md --repo acme/api --path skills/triage/SKILL.md",
  ],
  async run({ positionals, values, client, io, json }) {
    const cmd = "ambit skill add";
    const repo = str(values.repo);
    if (!repo) throw new UsageError("ambit skill add needs --repo <owner/repo>", cmd);
    const content = readTextFile(positionals[0], "file", cmd);
    const skillPath =
      str(values.path) ??
      path.normalize(positionals[0]).split(path.sep).join("/").replace(/^\.\//, "");
    const r = await client().agent.skills.register({
      repo,
      skill_path: skillPath,
      content,
      ...(str(values.host) ? { worker_host: str(values.host) } : {}),
    });
    if (json) return (printJson(io, r), 0);
    if (r.error)
      io.err.write(`warning: registered ${r.id}, but it cannot be used yet: ${r.error}\n`);
    else
      io.out.write(
        `Registered skill ${r.name} as ${r.id}. Run it: ambit agent run --skill ${r.id}\n`,
      );
    return 0;
  },
};

export const skillRemove = removeCommand({
  path: ["skill", "remove"],
  summary: "Remove a registered skill (members)",
  key: "id",
  examples: ["ambit skill remove acme/api:.claude/skills/review/SKILL.md"],
  title: "skill",
  remove: (api, id) => api.agent.skills.delete(id),
});
