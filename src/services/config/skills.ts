import type { AgentSkill, RegisterSkillRequest, UpdateSkillRequest } from "@ambit/protocol";
import { and, asc, eq, isNotNull, max } from "drizzle-orm";
import { runs, skills } from "../../db/schema.ts";
import { notFound } from "../../lib/errors.ts";
import { iso } from "../../lib/time.ts";
import { type Ctx, requireRole } from "../context.ts";
import { visibleTo } from "../runs/sharing.ts";
import { githubRepoOf } from "./environments.ts";
import { loadTeamConfig } from "./team-config.ts";

type SkillRow = typeof skills.$inferSelect;

/**
 * Reads a `SKILL.md`: YAML front matter between `---` lines with `name` and `description`
 * (plain or quoted scalars), then the instructions. Returns why it is malformed instead of throwing.
 */
export function parseSkillMd(content: string): {
  name: string | null;
  description: string;
  body: string;
  error: string | null;
} {
  const m = /^\uFEFF?---\r?\n([\s\S]*?)\r?\n---\r?\n?([\s\S]*)$/.exec(content);
  if (!m)
    return {
      name: null,
      description: "",
      body: content,
      error:
        "SKILL.md has no front matter: start it with '---', then 'name:' and 'description:' lines, then '---'",
    };
  const fields: Record<string, string> = {};
  for (const line of m[1].split(/\r?\n/)) {
    const kv = /^([A-Za-z_][\w-]*):\s*(.*)$/.exec(line);
    if (kv) fields[kv[1]] = kv[2].trim().replace(/^(['"])(.*)\1$/, "$2");
  }
  const missing = ["name", "description"].filter((k) => !fields[k]);
  return {
    name: fields.name || null,
    description: fields.description ?? "",
    body: m[2].trim(),
    error: missing.length ? `SKILL.md front matter lacks ${missing.join(" and ")}` : null,
  };
}

/** The columns a `SKILL.md`'s text decides. */
function fromContent(content: string) {
  const parsed = parseSkillMd(content);
  return {
    name: parsed.name,
    description: parsed.description,
    basePrompt: parsed.body,
    error: parsed.error,
  };
}

/** Registers (or refreshes) a skill found in a repository: by hosts after cloning, or by people. */
export async function registerSkill({ ctx, input }: { ctx: Ctx; input: RegisterSkillRequest }) {
  requireRole(ctx, "member", "Registering skills");
  const [owner, repo] = input.repo.split("/");
  const now = Date.now();
  const row: SkillRow = {
    teamId: ctx.teamId,
    id: `${input.repo}:${input.skill_path}`,
    ...fromContent(input.content),
    owner,
    repo,
    skillPath: input.skill_path,
    workerHost: input.worker_host ?? null,
    createdAt: now,
    updatedAt: now,
  };
  const { teamId: _t, id: _i, createdAt: _c, ...changes } = row;
  await ctx.db
    .insert(skills)
    .values(row)
    .onConflictDoUpdate({ target: [skills.teamId, skills.id], set: changes });
  return { id: row.id, name: row.name, error: row.error };
}

/**
 * Changes a registered skill in place (its text, its host pool): the same row, the same id, so
 * the named agents and schedules that name it keep it. Registering is an upsert; this is a 404
 * for a skill that is not there, so a typo does not register a new one.
 */
export async function updateSkill({
  ctx,
  id,
  input,
}: {
  ctx: Ctx;
  id: string;
  input: UpdateSkillRequest;
}) {
  requireRole(ctx, "member", "Editing skills");
  const key = and(eq(skills.teamId, ctx.teamId), eq(skills.id, id));
  const changes = {
    ...(input.content !== undefined && fromContent(input.content)),
    ...(input.worker_host !== undefined && { workerHost: input.worker_host }),
    updatedAt: Date.now(),
  };
  const [row] = await ctx.db
    .update(skills)
    .set(changes)
    .where(key)
    .returning({ id: skills.id, name: skills.name, error: skills.error });
  if (!row) throw notFound("Skill", id);
  return row;
}

export async function deleteSkill({ ctx, id }: { ctx: Ctx; id: string }) {
  requireRole(ctx, "member", "Removing skills");
  const key = and(eq(skills.teamId, ctx.teamId), eq(skills.id, id));
  const [row] = await ctx.db.select({ id: skills.id }).from(skills).where(key).limit(1);
  if (!row) throw notFound("Skill", id);
  await ctx.db.delete(skills).where(key);
}

/** Oz `GET /agent`: skills grouped by name, each variant with the environments that clone its repository. */
export async function listSkills({
  ctx,
  query,
}: {
  ctx: Ctx;
  query: { repo?: string; sort_by: "name" | "last_run"; include_malformed_skills: boolean };
}): Promise<AgentSkill[]> {
  const where = [eq(skills.teamId, ctx.teamId)];
  if (query.repo) {
    const [owner, repo] = query.repo.split("/");
    where.push(eq(skills.owner, owner), eq(skills.repo, repo));
  }
  const [rows, lastRuns, team] = await Promise.all([
    ctx.db
      .select()
      .from(skills)
      .where(and(...where))
      .orderBy(asc(skills.name), asc(skills.id)),
    ctx.db
      .select({ skillSpec: runs.skillSpec, at: max(runs.createdAt) })
      .from(runs)
      .where(and(eq(runs.teamId, ctx.teamId), isNotNull(runs.skillSpec), visibleTo(ctx)))
      .groupBy(runs.skillSpec),
    loadTeamConfig(ctx),
  ]);
  const lastRun = new Map(lastRuns.map((r) => [r.skillSpec, r.at]));
  const groups = new Map<string, AgentSkill & { last: number }>();
  for (const r of rows) {
    if (r.error && !query.include_malformed_skills) continue;
    const name = r.name ?? r.skillPath;
    const environments = team.environments
      .filter((e) =>
        e.repositories.some(
          (repo) =>
            githubRepoOf(repo.url)?.owner === r.owner && githubRepoOf(repo.url)?.repo === r.repo,
        ),
      )
      .map((e) => ({ uid: e.id, name: e.name }));
    const last = lastRun.get(r.id) ?? null;
    const group = groups.get(name) ?? { name, variants: [], last: 0 };
    group.variants.push({
      id: r.id,
      description: r.description,
      base_prompt: r.basePrompt,
      source: {
        owner: r.owner,
        name: r.repo,
        skill_path: r.skillPath,
        ...(r.workerHost ? { worker_host: r.workerHost } : {}),
      },
      environments,
      last_run_timestamp: last === null ? null : iso(last),
      ...(r.error ? { error: r.error } : {}),
    });
    group.last = Math.max(group.last, last ?? 0);
    groups.set(name, group);
  }
  const out = [...groups.values()];
  if (query.sort_by === "last_run")
    out.sort((a, b) => b.last - a.last || a.name.localeCompare(b.name));
  return out.map(({ last: _l, ...s }) => s);
}
