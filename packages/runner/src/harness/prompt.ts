import { readdir } from "node:fs/promises";
import path from "node:path";
import { readInside } from "../backends/confined-fs.ts";
import type { HarnessContext } from "./types.ts";

const MAX_DOC = 50_000;

/** What a harness resumed after its host was lost tells the agent first. */
export const hostLostNotice = (checkpointAt: string) =>
  `The host you ran on was lost. The workspace and this conversation were restored from the checkpoint of ${checkpointAt}: anything you did after it is gone (check the files before you go on). Continue the task.`;
const SKILL_DIRS = [".agents/skills", ".warp/skills", ".claude/skills", ".codex/skills"];
const RULE_FILES = ["AGENTS.md", "CLAUDE.md", "WARP.md"];

/**
 * The system prompt of the `ambit` harness: how to work, the agent's `base_prompt`, the rules
 * (`agent_config.rules` and the repositories' AGENTS.md), the skills the run names (read from the
 * workspace's skill folders) and what the workspace holds. `missingSkills` lists skill specs that
 * could not be found, for the caller to report.
 */
export async function buildSystemPrompt(
  ctx: HarnessContext,
): Promise<{ text: string; missingSkills: string[] }> {
  const roots = await workspaceRoots(ctx.workspace);
  const sections = [
    [
      "You are Ambit, an autonomous coding agent running in the background on a task someone gave you.",
      `Your workspace is ${ctx.workspace}; relative paths are resolved there and you cannot leave it.`,
      "Work step by step with your tools until the task is done; do not ask for confirmation. Use ask_user only when you cannot continue without a person's decision.",
      "Messages from people may arrive while you work; take them into account.",
      "When you are done, reply with a short summary of what you did and what is left, without calling a tool.",
    ].join("\n"),
  ];
  if (ctx.config.base_prompt) sections.push(`# Instructions\n${ctx.config.base_prompt}`);

  const rules = [...configRules(ctx.config.rules)];
  for (const root of roots) {
    for (const file of RULE_FILES) {
      const text = readCapped(ctx.workspace, path.join(root, file));
      if (text) rules.push(`From ${path.relative(ctx.workspace, path.join(root, file))}:\n${text}`);
    }
  }
  if (rules.length) sections.push(`# Rules\n${rules.join("\n\n")}`);

  const specs = ctx.config.skills ?? (ctx.config.skill_spec ? [ctx.config.skill_spec] : []);
  const missingSkills: string[] = [];
  for (const spec of specs) {
    const found = await findSkill(spec, ctx.workspace, roots);
    if (found) sections.push(`# Skill ${spec}\n${found}`);
    else missingSkills.push(spec);
  }

  const entries = await readdir(ctx.workspace, { withFileTypes: true }).catch(() => []);
  const listing = entries
    .map((e) => (e.isDirectory() ? `${e.name}/` : e.name))
    .sort()
    .slice(0, 100);
  sections.push(
    `# Workspace\n${ctx.workspace} contains:\n${listing.join("\n") || "(nothing yet)"}`,
  );
  return { text: sections.join("\n\n"), missingSkills };
}

function configRules(rules: unknown): string[] {
  if (typeof rules === "string") return [rules];
  return Array.isArray(rules) ? rules.filter((r): r is string => typeof r === "string") : [];
}

/** The workspace and each repository cloned into it. */
async function workspaceRoots(workspace: string): Promise<string[]> {
  const entries = await readdir(workspace, { withFileTypes: true }).catch(() => []);
  return [
    workspace,
    ...entries
      .filter((e) => e.isDirectory() && !e.name.startsWith("."))
      .map((e) => path.join(workspace, e.name)),
  ];
}

/** Skill specs: `name`, `repo:name`, `org/repo:name` or `org/repo:path/to/SKILL.md`. */
async function findSkill(spec: string, workspace: string, roots: string[]): Promise<string | null> {
  const colon = spec.lastIndexOf(":");
  const repo = colon === -1 ? "" : spec.slice(0, colon).split("/").at(-1)!;
  const skill = colon === -1 ? spec : spec.slice(colon + 1);
  const bases = repo ? [path.join(workspace, repo), workspace] : roots;
  for (const base of bases) {
    const candidates = skill.endsWith(".md")
      ? [path.join(base, skill)]
      : SKILL_DIRS.map((d) => path.join(base, d, skill, "SKILL.md"));
    for (const file of candidates) {
      if (!path.resolve(file).startsWith(workspace)) continue;
      const text = readCapped(workspace, file);
      if (text) return text;
    }
  }
  return null;
}

/** A rule or skill file of the workspace (never through a link out of it: it could name a host file), cut to MAX_DOC. */
function readCapped(workspace: string, file: string): string | null {
  try {
    const bytes = readInside(workspace, file, 4 * 1024 * 1024).bytes;
    if (!bytes) return null;
    const text = bytes.toString("utf8");
    return text.length > MAX_DOC ? `${text.slice(0, MAX_DOC)}\n[cut]` : text;
  } catch {
    return null;
  }
}
