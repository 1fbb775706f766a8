import { z } from "zod";
import { Role, Timestamp } from "./common.ts";
import { KeyScope } from "./key-scopes.ts";
import { RateLimits, RateLimitsChange } from "./rate-limits.ts";

export const CreateTeamRequest = z.object({
  name: z.string().trim().min(1).max(100),
  owner: z.object({
    email: z.email(),
    display_name: z.string().trim().min(1).max(100).optional(),
  }),
});
export type CreateTeamRequest = z.infer<typeof CreateTeamRequest>;

export const TeamRef = z.object({ uid: z.string(), name: z.string() });
export const UserRef = z.object({ uid: z.string(), email: z.string() });

export const CreateTeamResponse = z.object({
  team: TeamRef,
  user: UserRef,
  api_key: z.string().describe("the owner's API key; shown only in this response"),
});
export type CreateTeamResponse = z.infer<typeof CreateTeamResponse>;

/** Per-team limits (Oz policy `maxConcurrentAgents`, `maxInstanceRuntimeSeconds`). */
export const TeamLimits = z.object({
  max_concurrent_runs: z
    .number()
    .int()
    .min(1)
    .max(10_000)
    .describe("runs hosts may hold at once; more wait in line (`at_capacity` on create)"),
  max_run_time_seconds: z
    .number()
    .int()
    .min(60)
    .max(7 * 24 * 3600)
    .describe(
      "a run still going this long after it started is stopped and ends FAILED with budget_exceeded",
    ),
});
export type TeamLimits = z.infer<typeof TeamLimits>;

const AuditRetentionDays = z
  .number()
  .int()
  .min(1)
  .max(36_500)
  .describe("audit entries older than this move to R2 storage, still exportable (default 400)");
const ModelGateway = z
  .boolean()
  .describe(
    "whether the team's runs call models through the platform's gateway (docs/gateway.md): usage and cost are recorded, and hosts get no model keys; off, model keys go to hosts as secrets",
  );

const ResumeAttempts = z
  .number()
  .int()
  .min(0)
  .max(10)
  .describe(
    "how many times a run whose host was lost goes back in line to resume on another host from its last checkpoint (default 2; 0: it ends ERROR)",
  );

export const UpdateTeamRequest = z
  .object({
    name: z.string().trim().min(1).max(100).optional(),
    limits: TeamLimits.partial().optional(),
    audit_retention_days: AuditRetentionDays.optional(),
    model_gateway: ModelGateway.optional(),
    rate_limits: RateLimitsChange.optional().describe(
      "lower the team's API rate limits (admin), each at most its ceiling in `rate_limit_ceilings`; null: back to the ceiling",
    ),
    resume_attempts: ResumeAttempts.optional(),
  })
  .refine(
    (v) =>
      v.name !== undefined ||
      v.limits !== undefined ||
      v.audit_retention_days !== undefined ||
      v.model_gateway !== undefined ||
      v.rate_limits !== undefined ||
      v.resume_attempts !== undefined,
    {
      message:
        "nothing to change: set name, limits, audit_retention_days, model_gateway, rate_limits and/or resume_attempts",
    },
  );
export type UpdateTeamRequest = z.infer<typeof UpdateTeamRequest>;

export const Team = z.object({
  uid: z.string(),
  name: z.string(),
  created_at: Timestamp,
  member_count: z.number().int(),
  limits: TeamLimits,
  audit_retention_days: AuditRetentionDays,
  model_gateway: ModelGateway,
  rate_limits: RateLimits.describe("the API rate limits the team is held to now"),
  rate_limit_ceilings: RateLimits.describe(
    "the most the team's admins may set: the platform operator's defaults, or what a platform admin raised for this team",
  ),
  resume_attempts: ResumeAttempts,
  caller: z.object({ uid: z.string(), type: z.enum(["user", "service_account"]), role: Role }),
});
export type Team = z.infer<typeof Team>;

export const Member = z.object({
  uid: z.string(),
  type: z
    .enum(["user", "service_account"])
    .describe("a person, or a service account (no email; see /service-accounts)"),
  email: z.string().describe("empty for a service account"),
  display_name: z.string().nullable(),
  role: Role,
  joined_at: Timestamp,
});
export type Member = z.infer<typeof Member>;

export const ListMembersResponse = z.object({ members: z.array(Member) });

export const AddMemberRequest = z.object({
  email: z.email(),
  display_name: z.string().trim().min(1).max(100).optional(),
  role: Role.default("member"),
});
export type AddMemberRequest = z.infer<typeof AddMemberRequest>;

export const UpdateMemberRequest = z.object({ role: Role });

export const ApiKey = z.object({
  uid: z.string(),
  name: z.string(),
  prefix: z.string().describe("the first characters of the key, enough to recognise it"),
  role: Role,
  principal: z.object({ type: z.enum(["user", "service_account"]), uid: z.string() }),
  scopes: z
    .array(KeyScope)
    .describe("what the key may be used for now: those it was minted with, within its role's"),
  pools: z
    .array(z.string())
    .nullable()
    .describe("the host pools (worker ids) a `hosts:connect` key may join; null: any"),
  agent_uid: z
    .string()
    .nullable()
    .describe("the named agent the key acts as (runs made with it run as that agent)"),
  personal_access: z
    .boolean()
    .describe(
      "false for a key minted for its holder by someone else: it acts on the team's resources, never on the holder's personal runs, secrets, LOCAL runs or schedules",
    ),
  created_at: Timestamp,
  expires_at: Timestamp.nullable(),
  last_used_at: Timestamp.nullable(),
  revoked_at: Timestamp.nullable(),
});
export type ApiKey = z.infer<typeof ApiKey>;

export const CreateApiKeyRequest = z
  .object({
    name: z.string().trim().min(1).max(100),
    role: Role.optional().describe(
      "defaults to the caller's role (or the member's, if lower); may not exceed it",
    ),
    user_uid: z
      .string()
      .min(1)
      .max(64)
      .optional()
      .describe(
        "mint the key for this member of the team (admins, for a member whose role is not above theirs; the key has no personal access); defaults to the caller",
      ),
    expires_at: z.iso
      .datetime({ offset: true })
      .optional()
      .describe("a key you mint for yourself never outlives the key you call with"),
    expires_in_days: z.number().int().min(1).max(3650).optional(),
    scopes: z
      .array(KeyScope)
      .min(1)
      .optional()
      .describe(
        "what the key may be used for; defaults to everything its role allows. Never more than the caller's key has",
      ),
    pools: z
      .array(z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/))
      .min(1)
      .max(50)
      .optional()
      .describe(
        'with `scopes: ["hosts:connect"]` only: the host pools (worker ids) the key may join',
      ),
    service_account_uid: z
      .string()
      .min(1)
      .max(64)
      .optional()
      .describe("mint the key for this service account of the team (admins)"),
    agent_uid: z
      .string()
      .min(1)
      .max(64)
      .optional()
      .describe(
        "mint the key for this named agent (admins): runs made with it run as the agent, and may use `on_behalf_of` when the agent allows it",
      ),
  })
  .refine((v) => !(v.expires_at && v.expires_in_days), {
    message: "set expires_at or expires_in_days, not both",
    path: ["expires_in_days"],
  })
  .refine((v) => [v.user_uid, v.service_account_uid, v.agent_uid].filter(Boolean).length <= 1, {
    message: "set at most one of user_uid, service_account_uid and agent_uid",
    path: ["agent_uid"],
  })
  .refine((v) => !v.pools || (v.scopes?.length === 1 && v.scopes[0] === "hosts:connect"), {
    message: 'pools goes with scopes: ["hosts:connect"] only (a key for hosts, nothing else)',
    path: ["pools"],
  });
export type CreateApiKeyRequest = z.infer<typeof CreateApiKeyRequest>;

export const CreateApiKeyResponse = ApiKey.extend({
  key: z.string().describe("the secret key; shown only in this response"),
});
export const ListApiKeysResponse = z.object({ api_keys: z.array(ApiKey) });
