import type { KeyScope, RateLimitSettings } from "@ambit/protocol";
import { sql } from "drizzle-orm";
import {
  index,
  integer,
  primaryKey,
  sqliteTable,
  text,
  uniqueIndex,
} from "drizzle-orm/sqlite-core";

// Timestamps are integer milliseconds since the epoch (sortable, exact keyset cursors);
// the API renders them as RFC 3339.

export const teams = sqliteTable("teams", {
  id: text("id").primaryKey(),
  name: text("name").notNull(),
  createdAt: integer("created_at").notNull(),
  /** runs of the team a host may hold at once (PENDING, CLAIMED, INPROGRESS, BLOCKED); more wait in line */
  maxConcurrentRuns: integer("max_concurrent_runs").notNull().default(10),
  /** a run still going this long after it started is stopped and ends FAILED (budget_exceeded) */
  maxRunTimeSeconds: integer("max_run_time_seconds").notNull().default(14_400),
  /** audit entries older than this move from D1 to R2 (services/audit/archive.ts) */
  auditRetentionDays: integer("audit_retention_days").notNull().default(400),
  /** whether the team's runs call models through the platform's gateway (hosts get no model key) */
  modelGateway: integer("model_gateway", { mode: "boolean" }).notNull().default(true),
  /** API rate limits the team's admins lowered, per budget (lib/api-rate-limits.ts); null: none */
  rateLimits: text("rate_limits", { mode: "json" }).$type<RateLimitSettings>(),
  /** the team's own ceilings a platform admin set (raised) in place of the operator's vars */
  rateLimitCeilings: text("rate_limit_ceilings", { mode: "json" }).$type<RateLimitSettings>(),
  /** budgets in micro-USD (null: none): the team's a month, each member's a month, a run's default cap */
  budgetMonthly: integer("budget_monthly"),
  memberBudgetMonthly: integer("member_budget_monthly"),
  runMaxCost: integer("run_max_cost"),
  /** times a run whose host was lost resumes on another host from its last checkpoint */
  resumeAttempts: integer("resume_attempts").notNull().default(2),
});

/**
 * A member's own monthly budget (micro-USD), in place of the team's per-member default
 * (`teams.member_budget_monthly`); null: none for this member. `member_id` is a user's or a
 * service account's id (a run's `creator_id`). The team's ledger (TeamLedger) keeps a copy.
 */
export const memberBudgets = sqliteTable(
  "member_budgets",
  {
    teamId: text("team_id")
      .notNull()
      .references(() => teams.id),
    memberId: text("member_id").notNull(),
    budgetMonthly: integer("budget_monthly"),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.teamId, t.memberId] })],
);

export const users = sqliteTable(
  "users",
  {
    id: text("id").primaryKey(),
    email: text("email").notNull(), // stored lower-cased
    displayName: text("display_name"),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [uniqueIndex("users_email").on(t.email)],
);

export const memberships = sqliteTable(
  "memberships",
  {
    teamId: text("team_id")
      .notNull()
      .references(() => teams.id),
    userId: text("user_id")
      .notNull()
      .references(() => users.id),
    role: text("role", { enum: ["owner", "admin", "member", "viewer"] }).notNull(),
    createdAt: integer("created_at").notNull(),
    /** when the member took their personal key (at signup, or with a key minted for them: once, see services/api-keys.ts) */
    personalKeyAt: integer("personal_key_at"),
  },
  (t) => [primaryKey({ columns: [t.teamId, t.userId] }), index("memberships_user").on(t.userId)],
);

export const apiKeys = sqliteTable(
  "api_keys",
  {
    id: text("id").primaryKey(),
    teamId: text("team_id")
      .notNull()
      .references(() => teams.id),
    principalType: text("principal_type", { enum: ["user", "service_account"] }).notNull(),
    principalId: text("principal_id").notNull(),
    name: text("name").notNull(),
    prefix: text("prefix").notNull(),
    keyHash: text("key_hash").notNull(),
    role: text("role", { enum: ["owner", "admin", "member", "viewer"] }).notNull(),
    createdBy: text("created_by"),
    /**
     * whether the key reaches its principal's personal resources (personal runs and secrets, LOCAL
     * runs, personal schedules): false for a key someone else minted for them (see services/api-keys.ts)
     */
    personalAccess: integer("personal_access", { mode: "boolean" }).notNull().default(true),
    createdAt: integer("created_at").notNull(),
    expiresAt: integer("expires_at"),
    lastUsedAt: integer("last_used_at"),
    revokedAt: integer("revoked_at"),
    /** what the key may be used for (src/lib/scopes.ts); null: everything its role allows */
    scopes: text("scopes", { mode: "json" }).$type<KeyScope[]>(),
    /** the host pools a `hosts:connect` key may join; null: any */
    pools: text("pools", { mode: "json" }).$type<string[]>(),
  },
  (t) => [
    uniqueIndex("api_keys_hash").on(t.keyHash),
    index("api_keys_team").on(t.teamId, t.createdAt),
  ],
);

/** Non-human members (CI, integrations, hosts): a role and keys of their own, no sign-in. */
export const serviceAccounts = sqliteTable(
  "service_accounts",
  {
    id: text("id").primaryKey(),
    teamId: text("team_id")
      .notNull()
      .references(() => teams.id),
    name: text("name").notNull(),
    description: text("description"),
    role: text("role", { enum: ["owner", "admin", "member", "viewer"] }).notNull(),
    createdBy: text("created_by"),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [uniqueIndex("service_accounts_team_name").on(t.teamId, t.name)],
);

export const runs = sqliteTable(
  "runs",
  {
    id: text("id").primaryKey(),
    teamId: text("team_id")
      .notNull()
      .references(() => teams.id),
    scope: text("scope", { enum: ["Team", "User"] }).notNull(),
    creatorType: text("creator_type", { enum: ["user", "service_account"] }).notNull(),
    creatorId: text("creator_id").notNull(),
    title: text("title").notNull(),
    prompt: text("prompt").notNull(),
    mode: text("mode"),
    state: text("state").notNull(),
    source: text("source").notNull(),
    executionLocation: text("execution_location").notNull().default("REMOTE"),
    configName: text("config_name"),
    modelId: text("model_id"),
    environmentId: text("environment_id"),
    skillSpec: text("skill_spec"),
    scheduleId: text("schedule_id"),
    /** Oz `ScheduleInfo` of a scheduled run: the schedule's name and cron when the run was spawned */
    scheduleInfo: text("schedule_info", { mode: "json" }),
    workerHost: text("worker_host"),
    agentConfig: text("agent_config", { mode: "json" }),
    metadata: text("metadata", { mode: "json" }),
    statusMessage: text("status_message", { mode: "json" }),
    conversationId: text("conversation_id"),
    parentRunId: text("parent_run_id"),
    sessionId: text("session_id"),
    hostId: text("host_id"),
    /** where the run came from (an issue, a PR, a webhook's page): set by the integration that started it, never by a client */
    triggerUrl: text("trigger_url"),
    /** what teammates other than the creator get (NONE, VIEWER, EDITOR); null: the scope's default (Team EDITOR, User NONE) */
    shareTeam: text("share_team", { enum: ["NONE", "VIEWER", "EDITOR"] }),
    /** the random id of the run's read-only public link; null: no link (revoking clears it, so an old link never works again) */
    sharePublicId: text("share_public_id"),
    /** whether the run's executions receive its creator's personal secrets: false when a key minted by someone else created it */
    personalAccess: integer("personal_access", { mode: "boolean" }).notNull().default(true),
    attempts: integer("attempts").notNull().default(0),
    /** seq of the RunSession event this summary reflects; write-backs only move forward */
    summarySeq: integer("summary_seq").notNull().default(0),
    startedAt: integer("started_at"),
    endedAt: integer("ended_at"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [
    index("runs_team_updated").on(t.teamId, t.updatedAt, t.id),
    index("runs_team_created").on(t.teamId, t.createdAt, t.id),
    index("runs_team_title").on(t.teamId, t.title, t.id),
    index("runs_team_state_updated").on(t.teamId, t.state, t.updatedAt, t.id),
    index("runs_team_state_created").on(t.teamId, t.state, t.createdAt, t.id),
    // The filters' indexes end in the run's creation, which never changes: a state change (which
    // moves `updated_at`) rewrites none of them; a list sorts their matches (list-runs.ts,
    // docs/scaling.md "Which list plans"). Those of a field most runs leave empty hold only the
    // runs that have it (`x = ?` implies `x IS NOT NULL` to SQLite): a run made without them
    // writes no entry there (D1 bills each as a row written). The environment's stays whole: a
    // list asks for the runs without one (`environment_id IS NULL`)
    index("runs_team_source").on(t.teamId, t.source, t.createdAt),
    index("runs_team_creator").on(t.teamId, t.creatorId, t.createdAt),
    index("runs_team_name")
      .on(t.teamId, t.configName, t.createdAt)
      .where(sql`config_name IS NOT NULL`),
    index("runs_team_model").on(t.teamId, t.modelId, t.createdAt).where(sql`model_id IS NOT NULL`),
    index("runs_team_environment").on(t.teamId, t.environmentId, t.createdAt),
    index("runs_team_schedule")
      .on(t.teamId, t.scheduleId, t.createdAt)
      .where(sql`schedule_id IS NOT NULL`),
    index("runs_team_skill")
      .on(t.teamId, t.skillSpec, t.createdAt)
      .where(sql`skill_spec IS NOT NULL`),
    index("runs_team_location").on(t.teamId, t.executionLocation, t.createdAt),
    uniqueIndex("runs_share_public").on(t.sharePublicId).where(sql`share_public_id IS NOT NULL`),
    // covers every column GET /stats/runs reads but status_message (migrations/0010_run_stats.sql)
    index("runs_team_stats").on(
      t.teamId,
      t.createdAt,
      t.state,
      t.startedAt,
      t.endedAt,
      t.scope,
      t.creatorId,
      t.shareTeam,
      t.source,
      t.modelId,
      t.environmentId,
    ),
  ],
);

export const runArtifacts = sqliteTable(
  "run_artifacts",
  {
    id: text("id").primaryKey(),
    runId: text("run_id")
      .notNull()
      .references(() => runs.id),
    teamId: text("team_id").notNull(),
    artifactType: text("artifact_type").notNull(),
    data: text("data", { mode: "json" }).notNull(),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [
    index("run_artifacts_run").on(t.runId, t.createdAt),
    index("run_artifacts_team_type").on(t.teamId, t.artifactType, t.runId),
  ],
);

export const runMetadata = sqliteTable(
  "run_metadata",
  {
    runId: text("run_id")
      .notNull()
      .references(() => runs.id),
    teamId: text("team_id").notNull(),
    key: text("key").notNull(),
    value: text("value").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.runId, t.key] }),
    index("run_metadata_lookup").on(t.teamId, t.key, t.value, t.runId),
  ],
);

export const idempotencyKeys = sqliteTable(
  "idempotency_keys",
  {
    /** the caller: `<team id>/<API key id>`, "public" for signup, `schedules:<team id>` for schedule slots */
    scope: text("scope").notNull(),
    key: text("key").notNull(),
    requestHash: text("request_hash").notNull(),
    /** the caller's role when the record was made: a replay to a weaker role is refused; null for anonymous and platform callers */
    callerRole: text("caller_role", { enum: ["owner", "admin", "member", "viewer"] }),
    status: text("status", { enum: ["pending", "completed"] }).notNull(),
    responseStatus: integer("response_status"),
    responseBody: text("response_body"),
    lockedUntil: integer("locked_until").notNull(),
    createdAt: integer("created_at").notNull(),
    expiresAt: integer("expires_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.scope, t.key] }), index("idempotency_expires").on(t.expiresAt)],
);

/** Every worker host a team has connected, so host listings know which pools to ask. */
export const hostPools = sqliteTable(
  "host_pools",
  {
    teamId: text("team_id")
      .notNull()
      .references(() => teams.id),
    pool: text("pool").notNull(),
    firstConnectedAt: integer("first_connected_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.teamId, t.pool] })],
);

// ── Shared configuration ───────────────────────────────────────────────────────────────────

/** Each team's data key, AES-GCM-wrapped by the platform key `kid` (see src/lib/envelope.ts). */
export const teamKeys = sqliteTable("team_keys", {
  teamId: text("team_id")
    .primaryKey()
    .references(() => teams.id),
  wrappedKey: text("wrapped_key").notNull(),
  kid: text("kid").notNull(),
  createdAt: integer("created_at").notNull(),
  rotatedAt: integer("rotated_at"),
});

/** Secrets, sealed under the team's data key; `ownerId` is '' for team secrets. */
export const secrets = sqliteTable(
  "secrets",
  {
    teamId: text("team_id")
      .notNull()
      .references(() => teams.id),
    scope: text("scope", { enum: ["team", "personal"] }).notNull(),
    ownerId: text("owner_id").notNull(),
    name: text("name").notNull(),
    description: text("description"),
    type: text("type").notNull(),
    ciphertext: text("ciphertext").notNull(),
    createdBy: text("created_by"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.teamId, t.scope, t.ownerId, t.name] })],
);

export const environments = sqliteTable(
  "environments",
  {
    id: text("id").primaryKey(),
    teamId: text("team_id")
      .notNull()
      .references(() => teams.id),
    name: text("name").notNull(),
    description: text("description"),
    dockerImage: text("docker_image"),
    repositories: text("repositories", { mode: "json" })
      .notNull()
      .$type<{ url: string; ref?: string }[]>(),
    setupCommands: text("setup_commands", { mode: "json" }).notNull().$type<string[]>(),
    envVars: text("env_vars", { mode: "json" }).notNull().$type<Record<string, string>>(),
    secretNames: text("secret_names", { mode: "json" }).notNull().$type<string[]>(),
    workerHost: text("worker_host"),
    createdBy: text("created_by").notNull(),
    updatedBy: text("updated_by").notNull(),
    /** the role `updatedBy` had when writing it (see src/lib/personal-secrets.ts) */
    updatedByRole: text("updated_by_role", { enum: ["owner", "admin", "member", "viewer"] })
      .notNull()
      .default("member"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [index("environments_team").on(t.teamId, t.updatedAt)],
);

export const models = sqliteTable(
  "models",
  {
    teamId: text("team_id")
      .notNull()
      .references(() => teams.id),
    id: text("id").notNull(),
    displayName: text("display_name").notNull(),
    provider: text("provider", { enum: ["openai", "anthropic"] }).notNull(),
    model: text("model").notNull(),
    baseUrl: text("base_url"),
    apiKeySecret: text("api_key_secret"),
    visionSupported: integer("vision_supported", { mode: "boolean" }).notNull(),
    description: text("description"),
    reasoningLevel: text("reasoning_level"),
    isDefault: integer("is_default", { mode: "boolean" }).notNull(),
    /** micro-USD per million tokens; null: the well-known default (src/lib/model-prices.ts) */
    inputPrice: integer("input_price"),
    outputPrice: integer("output_price"),
    cacheReadPrice: integer("cache_read_price"),
    cacheWritePrice: integer("cache_write_price"),
    /** who last wrote it, and their role then (see src/lib/personal-secrets.ts); null before writers were recorded */
    updatedBy: text("updated_by"),
    updatedByRole: text("updated_by_role", { enum: ["owner", "admin", "member", "viewer"] })
      .notNull()
      .default("admin"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.teamId, t.id] })],
);

export const mcpServers = sqliteTable(
  "mcp_servers",
  {
    id: text("id").primaryKey(),
    teamId: text("team_id")
      .notNull()
      .references(() => teams.id),
    name: text("name").notNull(),
    description: text("description"),
    config: text("config", { mode: "json" }).notNull().$type<Record<string, unknown>>(),
    /** who last wrote it, and their role then (see src/lib/personal-secrets.ts); null before writers were recorded */
    updatedBy: text("updated_by"),
    updatedByRole: text("updated_by_role", { enum: ["owner", "admin", "member", "viewer"] })
      .notNull()
      .default("admin"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [uniqueIndex("mcp_servers_team_name").on(t.teamId, t.name)],
);

export const rules = sqliteTable(
  "rules",
  {
    id: text("id").primaryKey(),
    teamId: text("team_id")
      .notNull()
      .references(() => teams.id),
    name: text("name").notNull(),
    content: text("content").notNull(),
    enabled: integer("enabled", { mode: "boolean" }).notNull(),
    /** who last wrote it, and their role then (see src/lib/personal-secrets.ts); null before writers were recorded */
    updatedBy: text("updated_by"),
    updatedByRole: text("updated_by_role", { enum: ["owner", "admin", "member", "viewer"] })
      .notNull()
      .default("admin"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [uniqueIndex("rules_team_name").on(t.teamId, t.name)],
);

export const savedPrompts = sqliteTable(
  "saved_prompts",
  {
    id: text("id").primaryKey(),
    teamId: text("team_id")
      .notNull()
      .references(() => teams.id),
    name: text("name").notNull(),
    prompt: text("prompt").notNull(),
    description: text("description"),
    /** who last wrote it, and their role then (see src/lib/personal-secrets.ts); null before writers were recorded */
    updatedBy: text("updated_by"),
    updatedByRole: text("updated_by_role", { enum: ["owner", "admin", "member", "viewer"] })
      .notNull()
      .default("member"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [uniqueIndex("saved_prompts_team_name").on(t.teamId, t.name)],
);

export const envVars = sqliteTable(
  "env_vars",
  {
    teamId: text("team_id")
      .notNull()
      .references(() => teams.id),
    name: text("name").notNull(),
    value: text("value").notNull(),
    description: text("description"),
    /** who last wrote it, and their role then (see src/lib/personal-secrets.ts); null before writers were recorded */
    updatedBy: text("updated_by"),
    updatedByRole: text("updated_by_role", { enum: ["owner", "admin", "member", "viewer"] })
      .notNull()
      .default("admin"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.teamId, t.name] })],
);

/** Named agents: their run defaults, stored as the Oz `AgentResponse` fields they set. */
export const agentIdentities = sqliteTable(
  "agent_identities",
  {
    id: text("id").primaryKey(),
    teamId: text("team_id")
      .notNull()
      .references(() => teams.id),
    name: text("name").notNull(),
    settings: text("settings", { mode: "json" }).notNull().$type<Record<string, unknown>>(),
    createdBy: text("created_by").notNull(),
    /** who last wrote it, and their role then (see src/lib/personal-secrets.ts); null before writers were recorded */
    updatedBy: text("updated_by"),
    updatedByRole: text("updated_by_role", { enum: ["owner", "admin", "member", "viewer"] })
      .notNull()
      .default("admin"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [index("agent_identities_team").on(t.teamId, t.name)],
);

/** Skills (`SKILL.md`) registered by hosts or people, by spec `owner/repo:path`. */
export const skills = sqliteTable(
  "skills",
  {
    teamId: text("team_id")
      .notNull()
      .references(() => teams.id),
    id: text("id").notNull(),
    name: text("name"),
    description: text("description").notNull(),
    basePrompt: text("base_prompt").notNull(),
    owner: text("owner").notNull(),
    repo: text("repo").notNull(),
    skillPath: text("skill_path").notNull(),
    workerHost: text("worker_host"),
    error: text("error"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.teamId, t.id] })],
);

/** Bumped in the same batch as every write to a team's configuration: it names the KV cache entry. */
export const teamConfigVersions = sqliteTable("team_config_versions", {
  teamId: text("team_id")
    .primaryKey()
    .references(() => teams.id),
  version: integer("version").notNull(),
});
/**
 * Scheduled agents. `next_run` is the slot the schedule waits for; the Cron Trigger claims a due
 * slot by moving `next_run` forward with a compare-and-set, so each slot is claimed exactly once.
 */
export const schedules = sqliteTable(
  "schedules",
  {
    id: text("id").primaryKey(),
    teamId: text("team_id")
      .notNull()
      .references(() => teams.id),
    scope: text("scope", { enum: ["Team", "User"] }).notNull(),
    name: text("name").notNull(),
    cronSchedule: text("cron_schedule").notNull(),
    timezone: text("timezone").notNull().default("UTC"),
    overlapPolicy: text("overlap_policy", { enum: ["skip", "allow", "cancel_previous"] })
      .notNull()
      .default("skip"),
    enabled: integer("enabled", { mode: "boolean" }).notNull(),
    prompt: text("prompt").notNull(),
    mode: text("mode"),
    agentConfig: text("agent_config", { mode: "json" }),
    metadata: text("metadata", { mode: "json" }),
    ownerType: text("owner_type", { enum: ["user", "service_account"] }).notNull(),
    ownerId: text("owner_id").notNull(),
    updatedByType: text("updated_by_type", { enum: ["user", "service_account"] }).notNull(),
    updatedById: text("updated_by_id").notNull(),
    /** whether its runs act with the owner's personal access: false once anyone but the owner (through their own key) wrote it */
    personalAccess: integer("personal_access", { mode: "boolean" }).notNull().default(true),
    /** the next slot (ms); null while paused */
    nextRun: integer("next_run"),
    /** the slot of the last spawned run (ms) */
    lastRan: integer("last_ran"),
    lastRunId: text("last_run_id"),
    lastSpawnError: text("last_spawn_error"),
    /** the last slot not started because of the overlap policy, and why */
    lastSkippedAt: integer("last_skipped_at"),
    lastSkipReason: text("last_skip_reason"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [
    index("schedules_due").on(t.enabled, t.nextRun),
    index("schedules_team_name").on(t.teamId, t.name, t.id),
  ],
);

/**
 * Who is attached live to which run (websockets and SSE streams of users and service accounts;
 * not the public link, not hosts): written by the run's `RunSession` as a connection opens and
 * closes, read by the services that remove a member, change a role or revoke a key, so they tell
 * only the sessions that principal is attached to. A row whose connection died unseen is pruned
 * by its session the next time it is told.
 */
export const liveAttachments = sqliteTable(
  "live_attachments",
  {
    connId: text("conn_id").primaryKey(),
    teamId: text("team_id").notNull(),
    runId: text("run_id").notNull(),
    principalId: text("principal_id").notNull(),
    /** the API key the connection was attached with (directly, or through an attach token it minted) */
    keyId: text("key_id"),
    attachedAt: integer("attached_at").notNull(),
  },
  (t) => [
    index("live_attachments_principal").on(t.teamId, t.principalId),
    index("live_attachments_key").on(t.keyId),
    index("live_attachments_run").on(t.runId),
  ],
);

/**
 * Web console sessions (src/services/web-sessions.ts): a random token in an HttpOnly cookie, only
 * its SHA-256 stored. It acts as its user with their role now, capped by the API key it came from
 * (`key_id`, null for a sign-in link); `personal` is that key's `personal_access` (true for a
 * link).
 * Deleting the row ends it (sign-out, revocation, the key revoked, the member removed).
 */
export const webSessions = sqliteTable(
  "web_sessions",
  {
    id: text("id").primaryKey(),
    tokenHash: text("token_hash").notNull(),
    teamId: text("team_id").notNull(),
    userId: text("user_id").notNull(),
    keyId: text("key_id"),
    personal: integer("personal", { mode: "boolean" }).notNull(),
    createdAt: integer("created_at").notNull(),
    /** written at most once a minute; 7 days without use end the session */
    lastSeenAt: integer("last_seen_at").notNull(),
    /** the absolute end: 30 days after sign-in */
    expiresAt: integer("expires_at").notNull(),
    userAgent: text("user_agent"),
    /** how it was opened: an API key, a one-time link, or the team's single sign-on */
    via: text("via", { enum: ["key", "link", "sso"] })
      .notNull()
      .default("link"),
  },
  (t) => [
    uniqueIndex("web_sessions_token").on(t.tokenHash),
    index("web_sessions_user").on(t.teamId, t.userId),
    index("web_sessions_key").on(t.keyId),
  ],
);

/** One-time sign-in links (`npm start`, `npm run sign-in-link`): the token's SHA-256; used once. */
export const signInLinks = sqliteTable("sign_in_links", {
  tokenHash: text("token_hash").primaryKey(),
  teamId: text("team_id").notNull(),
  userId: text("user_id").notNull(),
  createdAt: integer("created_at").notNull(),
  expiresAt: integer("expires_at").notNull(),
});

/**
 * Integrations (src/integrations/, src/services/integrations/): a configured source of runs (a
 * GitHub App, a generic Standard Webhooks sender) with its sealed credentials, settings and the
 * run defaults it applies. Its runs act as whoever last configured it (`updated_by`).
 */
export const integrations = sqliteTable(
  "integrations",
  {
    id: text("id").primaryKey(),
    teamId: text("team_id")
      .notNull()
      .references(() => teams.id),
    type: text("type").notNull(),
    name: text("name").notNull(),
    enabled: integer("enabled", { mode: "boolean" }).notNull(),
    /** the credentials object, sealed with the team's data key (src/lib/envelope.ts); never returned */
    credentialsSealed: text("credentials_sealed").notNull(),
    /** which credential fields are set (names only), so a response can say so without unsealing */
    credentialFields: text("credential_fields", { mode: "json" }).notNull(),
    settings: text("settings", { mode: "json" }).notNull(),
    /** AmbientAgentConfig: the trigger layer of its runs' configuration */
    runDefaults: text("run_defaults", { mode: "json" }).notNull(),
    promptTemplate: text("prompt_template"),
    createdByType: text("created_by_type", { enum: ["user", "service_account"] }).notNull(),
    createdById: text("created_by_id").notNull(),
    updatedByType: text("updated_by_type", { enum: ["user", "service_account"] }).notNull(),
    updatedById: text("updated_by_id").notNull(),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [index("integrations_team_name").on(t.teamId, t.name, t.id)],
);

/**
 * Every delivery an integration received, with what became of it. `sender_delivery_id` (the
 * sender's own id: `webhook-id`, `X-GitHub-Delivery`) is unique per integration, so a repeat is
 * recognised; a rejected delivery has none (its id was not signed). The payload is in R2
 * (`payload_key`) for 30 days.
 */
export const integrationDeliveries = sqliteTable(
  "integration_deliveries",
  {
    id: text("id").primaryKey(),
    teamId: text("team_id").notNull(),
    integrationId: text("integration_id").notNull(),
    senderDeliveryId: text("sender_delivery_id"),
    event: text("event").notNull(),
    outcome: text("outcome", {
      enum: [
        "received",
        "run_created",
        "followup_sent",
        "run_cancelled",
        "ignored",
        "rejected",
        "failed",
      ],
    }).notNull(),
    /** why it was ignored or rejected, or the error it failed with (never a secret) */
    reason: text("reason"),
    runId: text("run_id"),
    /** the delivery this one processes again (POST .../redeliver) */
    redeliveryOf: text("redelivery_of"),
    /** the thread `decide` named, kept before the run is created so a retried message finds it */
    thread: text("thread", { mode: "json" }),
    payloadKey: text("payload_key"),
    receivedAt: integer("received_at").notNull(),
    processedAt: integer("processed_at"),
  },
  (t) => [
    uniqueIndex("integration_deliveries_sender").on(t.integrationId, t.senderDeliveryId),
    index("integration_deliveries_list").on(t.integrationId, t.receivedAt, t.id),
    index("integration_deliveries_payload_expiry")
      .on(t.receivedAt)
      .where(sql`payload_key IS NOT NULL`),
  ],
);

/**
 * A conversation at the origin (an issue or PR thread, a webhook's thread key) and the run it
 * started: a follow-up on the thread finds the run here, and `report` finds the thread of a run.
 */
export const integrationThreads = sqliteTable(
  "integration_threads",
  {
    integrationId: text("integration_id").notNull(),
    threadKey: text("thread_key").notNull(),
    teamId: text("team_id").notNull(),
    runId: text("run_id").notNull(),
    url: text("url"),
    state: text("state", { mode: "json" }),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.integrationId, t.threadKey] }),
    index("integration_threads_run").on(t.runId),
  ],
);

/**
 * Which team member an outside user is (src/integrations/user-links.ts): a Slack user id linked to
 * the member who typed `/ambit link <code>`, one member per outside user and integration. Kinds
 * look it up before letting an outside user start a run.
 */
export const integrationUserLinks = sqliteTable(
  "integration_user_links",
  {
    integrationId: text("integration_id").notNull(),
    externalUserId: text("external_user_id").notNull(),
    teamId: text("team_id").notNull(),
    userId: text("user_id").notNull(),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.integrationId, t.externalUserId] }),
    index("integration_user_links_user").on(t.teamId, t.userId),
  ],
);

/**
 * One-time codes a member mints (`ambit integration link slack`) and types in the outside tool to
 * link their account there to them: stored as a SHA-256 (the code itself is shown once), short
 * lived, consumed at first use.
 */
export const integrationLinkCodes = sqliteTable("integration_link_codes", {
  codeHash: text("code_hash").primaryKey(),
  integrationId: text("integration_id").notNull(),
  teamId: text("team_id").notNull(),
  userId: text("user_id").notNull(),
  expiresAt: integer("expires_at").notNull(),
});

/**
 * Outbound webhooks (src/services/webhooks/): an endpoint of a team that hears of the platform
 * events it subscribes to, signed per Standard Webhooks with its own `whsec_` secret (sealed with
 * the team's data key, shown once at create). `failing_since`: when the first of an unbroken run
 * of failed attempts happened (null after any success); the endpoint is disabled, saying why in
 * `disabled_reason`, when that lasts past WEBHOOKS_DISABLE_AFTER_DAYS or on a 410 Gone.
 */
export const webhooks = sqliteTable(
  "webhooks",
  {
    id: text("id").primaryKey(),
    teamId: text("team_id").notNull(),
    url: text("url").notNull(),
    /** JSON array of PlatformEventType */
    eventTypes: text("event_types", { mode: "json" }).notNull(),
    sealedSecret: text("sealed_secret").notNull(),
    enabled: integer("enabled", { mode: "boolean" }).notNull(),
    disabledReason: text("disabled_reason"),
    failingSince: integer("failing_since"),
    description: text("description"),
    createdBy: text("created_by").notNull(),
    createdAt: integer("created_at").notNull(),
    updatedBy: text("updated_by").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [index("webhooks_team").on(t.teamId, t.createdAt)],
);

/**
 * One event to one webhook: sent, retried on the schedule, or given up. UNIQUE(webhook, event) is
 * what makes a redelivered EVENTS message send nothing twice; a resend starts a new series of
 * attempts on the same row (same `webhook-id`).
 */
export const webhookDeliveries = sqliteTable(
  "webhook_deliveries",
  {
    id: text("id").primaryKey(),
    webhookId: text("webhook_id").notNull(),
    teamId: text("team_id").notNull(),
    eventId: text("event_id").notNull(),
    eventType: text("event_type").notNull(),
    /** the exact body sent (minified JSON `{type, timestamp, data}`), signed byte for byte */
    payload: text("payload").notNull(),
    /** pending | succeeded | failed (a retry is scheduled) | gave_up */
    status: text("status").notNull(),
    /** attempts ever made; a queue message names the count it expects: a duplicate sends nothing */
    attemptCount: integer("attempt_count").notNull().default(0),
    /** attempt_count when the current series began (a resend starts one); the backoff counts from it */
    seriesStart: integer("series_start").notNull().default(0),
    nextAttemptAt: integer("next_attempt_at"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [
    uniqueIndex("webhook_deliveries_event").on(t.webhookId, t.eventId),
    index("webhook_deliveries_list").on(t.webhookId, t.createdAt, t.id),
    // the housekeeping's sweep of attempts whose message was lost (services/webhooks/sweep.ts)
    index("webhook_deliveries_due").on(t.status, t.nextAttemptAt),
  ],
);

/** Every HTTP attempt of a delivery: its answer's status (or network error), latency, first 1 KB. */
export const webhookAttempts = sqliteTable(
  "webhook_attempts",
  {
    id: text("id").primaryKey(),
    deliveryId: text("delivery_id").notNull(),
    teamId: text("team_id").notNull(),
    at: integer("at").notNull(),
    httpStatus: integer("http_status"),
    error: text("error"),
    latencyMs: integer("latency_ms").notNull(),
    responseBody: text("response_body"),
  },
  (t) => [index("webhook_attempts_delivery").on(t.deliveryId, t.at)],
);

// ── Single sign-on (docs/sso.md) ──────────────────────────────────────────────────────────

/**
 * A team's single sign-on: an OpenID Connect provider (`oidc`, found by discovery from `issuer`)
 * or GitHub's OAuth (`github`). The client secret is sealed with the team's data key.
 */
export const teamSso = sqliteTable("team_sso", {
  teamId: text("team_id")
    .primaryKey()
    .references(() => teams.id),
  provider: text("provider", { enum: ["oidc", "github"] }).notNull(),
  issuer: text("issuer").notNull(),
  clientId: text("client_id").notNull(),
  clientSecretSealed: text("client_secret_sealed").notNull(),
  /** lower-cased email domains whose people may sign in (and join on first sign-in) */
  allowedDomains: text("allowed_domains", { mode: "json" }).$type<string[]>().notNull(),
  /** the role a person gets when their first sign-in makes them a member */
  defaultRole: text("default_role", { enum: ["admin", "member", "viewer"] }).notNull(),
  /** the console accepts only this sign-in for the team (API keys keep working) */
  required: integer("required", { mode: "boolean" }).notNull(),
  updatedBy: text("updated_by").notNull(),
  createdAt: integer("created_at").notNull(),
  updatedAt: integer("updated_at").notNull(),
});

/**
 * A single sign-on under way, between the redirect to the provider and its callback: `state`
 * (its SHA-256 is the key), the `nonce` and the PKCE verifier stay here, and the row is deleted
 * as the callback reads it, so a replayed callback finds nothing. Ten minutes at most.
 */
export const ssoLogins = sqliteTable("sso_logins", {
  stateHash: text("state_hash").primaryKey(),
  teamId: text("team_id").notNull(),
  nonce: text("nonce").notNull(),
  codeVerifier: text("code_verifier").notNull(),
  next: text("next").notNull(),
  createdAt: integer("created_at").notNull(),
  expiresAt: integer("expires_at").notNull(),
});

/**
 * `ambit login --web` (a device authorization, RFC 8628 in spirit): the CLI holds the device
 * code (only its SHA-256 is here) and polls; a signed-in person approves the user code. The key
 * minted at approval waits here sealed under the device code (src/lib/seal.ts), so only the
 * poller opens it, once: the row is deleted as it is handed over.
 */
export const deviceLogins = sqliteTable(
  "device_logins",
  {
    deviceCodeHash: text("device_code_hash").primaryKey(),
    userCode: text("user_code").notNull(),
    clientName: text("client_name").notNull(),
    createdAt: integer("created_at").notNull(),
    expiresAt: integer("expires_at").notNull(),
    lastPolledAt: integer("last_polled_at"),
    /** seconds the CLI waits between polls; raised by `slow_down` */
    interval: integer("interval").notNull(),
    teamId: text("team_id"),
    userId: text("user_id"),
    keyId: text("key_id"),
    keySealed: text("key_sealed"),
    approvedAt: integer("approved_at"),
    deniedAt: integer("denied_at"),
  },
  (t) => [uniqueIndex("device_logins_user_code").on(t.userCode)],
);
/**
 * The audit log (docs/audit.md): one hash chain per team. UNIQUE(team, seq) is what keeps two
 * concurrent appends from forking the chain: the loser of a race retries on the new head.
 */
export const auditLog = sqliteTable(
  "audit_log",
  {
    id: text("id").primaryKey(),
    teamId: text("team_id").notNull(),
    seq: integer("seq").notNull(),
    at: integer("at").notNull(),
    actorType: text("actor_type").notNull(),
    actorId: text("actor_id").notNull(),
    actorName: text("actor_name"),
    /** the member or service account a key or session acts for (the `actor` filter matches it) */
    actorMemberId: text("actor_member_id"),
    ip: text("ip"),
    userAgent: text("user_agent"),
    requestId: text("request_id"),
    action: text("action").notNull(),
    targetType: text("target_type"),
    targetId: text("target_id"),
    /** JSON `{field: {before, after}}` or null */
    changes: text("changes"),
    prevHash: text("prev_hash").notNull(),
    hash: text("hash").notNull(),
  },
  (t) => [
    uniqueIndex("audit_log_team_seq").on(t.teamId, t.seq),
    index("audit_log_team_at").on(t.teamId, t.at),
    index("audit_log_team_action").on(t.teamId, t.action, t.seq),
    index("audit_log_team_actor").on(t.teamId, t.actorId, t.seq),
    index("audit_log_team_member").on(t.teamId, t.actorMemberId, t.seq),
    index("audit_log_team_target").on(t.teamId, t.targetId, t.seq),
  ],
);

/**
 * Each team's chain head (last seq and hash), kept apart from the entries so the chain goes on
 * after its oldest entries moved to R2; `archived_through`: the last seq moved there.
 */
export const auditHeads = sqliteTable("audit_heads", {
  teamId: text("team_id").primaryKey(),
  seq: integer("seq").notNull(),
  hash: text("hash").notNull(),
  archivedThrough: integer("archived_through").notNull().default(0),
});
/**
 * The usage ledger: one row per model call the gateway forwarded, its cost (micro-USD) computed
 * from the model's prices when it was recorded and never changed afterwards.
 */
export const modelCalls = sqliteTable(
  "model_calls",
  {
    id: text("id").primaryKey(),
    teamId: text("team_id")
      .notNull()
      .references(() => teams.id),
    runId: text("run_id").notNull(),
    executionId: integer("execution_id").notNull(),
    /** who owns the run (its creator) */
    memberId: text("member_id").notNull(),
    /** the catalog id, or the model name the client asked for when the catalog has none */
    modelId: text("model_id").notNull(),
    provider: text("provider", { enum: ["openai", "anthropic", "gemini"] }).notNull(),
    /** the model name sent to the provider */
    model: text("model").notNull(),
    category: text("category").notNull().default("primary_agent"),
    /** the provider's HTTP status */
    status: integer("status").notNull(),
    inputTokens: integer("input_tokens").notNull(),
    outputTokens: integer("output_tokens").notNull(),
    cacheReadTokens: integer("cache_read_tokens").notNull(),
    cacheWriteTokens: integer("cache_write_tokens").notNull(),
    inputCost: integer("input_cost").notNull(),
    outputCost: integer("output_cost").notNull(),
    cacheReadCost: integer("cache_read_cost").notNull(),
    cacheWriteCost: integer("cache_write_cost").notNull(),
    cost: integer("cost").notNull(),
    ttfbMs: integer("ttfb_ms").notNull(),
    latencyMs: integer("latency_ms").notNull(),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [
    index("model_calls_run").on(t.runId, t.createdAt),
    index("model_calls_team_created").on(t.teamId, t.createdAt),
  ],
);
