import { asc, eq, sql } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import {
  agentIdentities,
  environments,
  envVars,
  mcpServers,
  models,
  rules,
  savedPrompts,
  secrets,
  teamConfigVersions,
} from "../../db/schema.ts";
import type { AppError } from "../../lib/errors.ts";
import type { Ctx } from "../context.ts";
import { log } from "../../lib/log.ts";

export type EnvironmentRow = typeof environments.$inferSelect;
export type ModelRow = typeof models.$inferSelect;
export type McpServerRow = typeof mcpServers.$inferSelect;
export type RuleRow = typeof rules.$inferSelect;
export type PromptRow = typeof savedPrompts.$inferSelect;
export type EnvVarRow = typeof envVars.$inferSelect;
export type AgentRow = typeof agentIdentities.$inferSelect;

/** Everything team-wide a run's configuration is resolved from (secret names, never values). */
export type TeamConfig = {
  version: number;
  environments: EnvironmentRow[];
  models: ModelRow[];
  mcpServers: McpServerRow[];
  rules: RuleRow[];
  prompts: PromptRow[];
  envVars: EnvVarRow[];
  agents: AgentRow[];
  teamSecretNames: string[];
};

const TTL_SECONDS = 3600;
// v2: rows carry their last writer (updated_by, updated_by_role)
const cacheKey = (teamId: string, version: number) => `team-config:v2:${teamId}:${version}`;

async function currentVersion(ctx: Ctx): Promise<number> {
  const [row] = await ctx.db
    .select({ v: teamConfigVersions.version })
    .from(teamConfigVersions)
    .where(eq(teamConfigVersions.teamId, ctx.teamId))
    .limit(1);
  return row?.v ?? 0;
}

/**
 * Configurations this isolate already read, by cache key (version included, so never stale),
 * frozen: every request of the isolate shares them. A few teams' worth; the oldest goes first.
 */
const memory = new Map<string, TeamConfig>();
const MEMORY_ENTRIES = 32;

function remember(key: string, config: TeamConfig): TeamConfig {
  if (memory.size >= MEMORY_ENTRIES) memory.delete(memory.keys().next().value!);
  memory.set(key, deepFreeze(config));
  return config;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/**
 * The team's configuration (frozen: copy before changing anything), from this isolate's memory
 * or KV when cached. The cache entry is named by the version D1 bumps with every write, so a read
 * after a write never sees the old entry (KV's own propagation delay cannot serve a stale version
 * either); the old entry is also deleted explicitly. `knownVersion`: the version the caller read
 * already in this request, before any write of its own (the API key's lookup reads it).
 */
export async function loadTeamConfig(ctx: Ctx, knownVersion?: number): Promise<TeamConfig> {
  const version = knownVersion ?? (await currentVersion(ctx));
  const key = cacheKey(ctx.teamId, version);
  const known = memory.get(key);
  if (known) return known;
  // KV is a cache: if it fails, D1 answers (and a failed put only costs the next read)
  const hit = await ctx.env.CONFIG.get<TeamConfig>(key, "json").catch(() => null);
  if (hit) return remember(key, hit);
  const t = ctx.teamId;
  const [envs, mods, mcps, rls, prompts, vars, agents, names] = await ctx.db.batch([
    ctx.db
      .select()
      .from(environments)
      .where(eq(environments.teamId, t))
      .orderBy(asc(environments.name)),
    ctx.db
      .select()
      .from(models)
      .where(eq(models.teamId, t))
      .orderBy(asc(models.createdAt), asc(models.id)),
    ctx.db.select().from(mcpServers).where(eq(mcpServers.teamId, t)).orderBy(asc(mcpServers.name)),
    ctx.db.select().from(rules).where(eq(rules.teamId, t)).orderBy(asc(rules.name)),
    ctx.db
      .select()
      .from(savedPrompts)
      .where(eq(savedPrompts.teamId, t))
      .orderBy(asc(savedPrompts.name)),
    ctx.db.select().from(envVars).where(eq(envVars.teamId, t)).orderBy(asc(envVars.name)),
    ctx.db
      .select()
      .from(agentIdentities)
      .where(eq(agentIdentities.teamId, t))
      .orderBy(asc(agentIdentities.name)),
    ctx.db
      .select({ name: secrets.name })
      .from(secrets)
      .where(sql`${secrets.teamId} = ${t} AND ${secrets.scope} = 'team'`)
      .orderBy(asc(secrets.name)),
  ]);
  const config: TeamConfig = {
    version,
    environments: envs,
    models: mods,
    mcpServers: mcps,
    rules: rls,
    prompts,
    envVars: vars,
    agents,
    teamSecretNames: names.map((n) => n.name),
  };
  await ctx.env.CONFIG.put(key, JSON.stringify(config), { expirationTtl: TTL_SECONDS }).catch(
    (err) =>
      log.error("team config cache put failed", {
        team_id: ctx.teamId,
        request_id: ctx.requestId,
        error: err,
      }),
  );
  return remember(key, config);
}

/**
 * Who is writing a piece of shared configuration, and their role now: stored with every write of
 * configuration that executes in other people's runs (see src/lib/personal-secrets.ts, rule 3).
 */
export const writtenBy = (ctx: Ctx) => ({ updatedBy: ctx.actor.id, updatedByRole: ctx.actor.role });

/**
 * Writes configuration: the statements and the version bump in one D1 batch, then drops the
 * cached entry of the old version. Every configuration write goes through here.
 */
export async function writeTeamConfig(
  ctx: Ctx,
  statements: BatchItem<"sqlite">[],
  onDuplicate?: () => AppError,
): Promise<void> {
  const before = await currentVersion(ctx);
  const bump = ctx.db
    .insert(teamConfigVersions)
    .values({ teamId: ctx.teamId, version: 1 })
    .onConflictDoUpdate({
      target: teamConfigVersions.teamId,
      set: { version: sql`${teamConfigVersions.version} + 1` },
    });
  try {
    await ctx.db.batch([bump, ...statements]);
  } catch (err) {
    // a concurrent write took the name between our check and this batch
    if (
      onDuplicate &&
      /UNIQUE constraint failed/i.test(
        String((err as Error)?.message) + String((err as { cause?: unknown })?.cause),
      )
    )
      throw onDuplicate();
    throw err;
  }
  // correctness does not depend on this delete (the version moved on); it only frees the entry
  await ctx.env.CONFIG.delete(cacheKey(ctx.teamId, before)).catch(() => {});
}
