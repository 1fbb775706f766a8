import type { AgentSkill } from "@ambit/protocol";
import type { RegisteredSkill } from "@ambit/sdk";
import { client } from "../../lib/api.ts";
import { opt, type Resource, str } from "../resource.ts";

/** A SKILL.md the API stored but could not read is an error to show, not a success. */
function understood(r: RegisteredSkill) {
  if (r.error) throw new Error(`The SKILL.md was not understood: ${r.error}`);
  return r;
}

/**
 * The SKILL.md as the API read it: the list has its front matter's name and description and its
 * body, not the text, so an edit starts from the same three (and a save keeps the front matter).
 */
const skillMd = (s: Skill) =>
  `---\nname: ${s.name}\ndescription: ${s.description}\n---\n${s.base_prompt}\n`;

/** One registered SKILL.md (a variant of a skill name). */
type Skill = AgentSkill["variants"][number] & { name: string };

export const skills: Resource<Skill> = {
  slug: "skills",
  title: "Skills",
  noun: "skill",
  help:
    "SKILL.md files in the team's repositories, registered by hosts as they clone " +
    "them or by hand here. Members write them; editing one keeps its id, so what names it " +
    "keeps it.",
  writeRole: "member",
  fields: [
    {
      name: "repo",
      label: "Repository",
      kind: "text",
      required: true,
      createOnly: true,
      help: "owner/repo.",
    },
    {
      name: "skill_path",
      label: "Path of its SKILL.md",
      kind: "text",
      required: true,
      createOnly: true,
    },
    { name: "content", label: "SKILL.md", kind: "multiline", required: true },
    { name: "worker_host", label: "Host pool", kind: "ref", from: "pools", none: "Platform pool" },
  ],
  columns: [
    { label: "Id", value: (s) => s.id },
    { label: "Name", value: (s) => s.name },
    { label: "Description", value: (s) => s.description },
  ],
  list: async () =>
    (await client.agent.skills.list()).agents.flatMap((a) =>
      a.variants.map((v) => ({ ...v, name: a.name })),
    ),
  key: (s) => s.id,
  toForm: (s) => ({
    repo: `${s.source.owner}/${s.source.name}`,
    skill_path: s.source.skill_path,
    content: skillMd(s),
    worker_host: s.source.worker_host ?? "",
  }),
  create: async (v) =>
    understood(
      await client.agent.skills.register({
        repo: str(v, "repo"),
        skill_path: str(v, "skill_path"),
        content: str(v, "content"),
        worker_host: opt(v, "worker_host"),
      }),
    ),
  // in place (PATCH): the id, its repository and path, stays
  update: async (s, v) =>
    understood(
      await client.agent.skills.update(s.id, {
        content: str(v, "content"),
        worker_host: opt(v, "worker_host") ?? null,
      }),
    ),
  delete: (s) => client.agent.skills.delete(s.id),
};
