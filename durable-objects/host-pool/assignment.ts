import type { EventActor, ResumeFrom, TaskAssignment } from "@ambit/protocol";
import { getConfig } from "../../src/env.ts";
import {
  type AttachClaims,
  GATEWAY_AUDIENCE,
  RUN_TOKEN_MARGIN_S,
  signAttachToken,
} from "../../src/lib/attach-token.ts";
import { gatewaySecretNames } from "../../src/lib/model-keys.ts";
import {
  type PersonalSecrets,
  personalSecretsFor,
  withheldMessage,
} from "../../src/lib/personal-secrets.ts";
import { runSession } from "../stubs.ts";
import { type AssignmentInputs, readAssignmentInputs } from "./assignment-reads.ts";
import { openSecretRows, SecretUnavailable } from "./run-secrets.ts";
import { log } from "../../src/lib/log.ts";
import { integrationRunSecrets } from "../../src/integrations/run-secrets.ts";

export type AssignmentResult =
  | { ok: true; assignment: TaskAssignment }
  | { ok: false; code: "resource_not_found" }
  /** a secret did not open: the run cannot be given to anyone and should end ERROR with `message` */
  | { ok: false; code: "internal_error"; message: string };

/** Who holds a run's execution, for its HOST token (see src/services/runs/token-checks.ts). */
export type Holder = {
  actor: EventActor;
  /** the API key that claimed a LOCAL run, or that the host connected with: the token dies with it */
  keyId?: string;
  /** the team's maximum run time: the token lives that plus RUN_TOKEN_MARGIN_S */
  maxRunTimeSeconds: number;
};

/**
 * What the holder of a run gets to run it: the frozen `agent_config` with its environment, model
 * and variables, the run's secrets (opened here, see run-secrets.ts) and a HOST token for the
 * run's session, bound to this execution. The same for a host of a pool and for the CLI of a
 * LOCAL run. `startedBy`: who started this execution (the session's `dispatch` answer); with the
 * frozen configuration it decides whether the creator's personal secrets go
 * (src/lib/personal-secrets.ts). `inputs`: what it is built from, when the caller read it in its
 * own batch (the pool, assignment-reads.ts); else read here, in one D1 batch.
 */
export async function buildAssignment(
  env: Env,
  input: {
    runId: string;
    teamId: string;
    executionId: number;
    holder: Holder;
    startedBy: EventActor | undefined;
    inputs?: AssignmentInputs;
  },
): Promise<AssignmentResult> {
  const { runId, teamId } = input;
  const {
    row,
    gateway,
    secrets: stored,
    threaded,
  } = input.inputs ?? (await readAssignmentInputs(env, { runId, teamId }));
  if (!row) return { ok: false, code: "resource_not_found" };
  // the configuration was resolved and frozen at creation; only secret values are opened now
  const config = (
    row.agent_config ? JSON.parse(row.agent_config) : {}
  ) as TaskAssignment["task"]["agent_config"];
  const personal = personalSecretsFor(
    {
      creatorId: row.creator_id,
      personalAccess: row.personal_access !== 0,
      lowerRoleChanges: config.lower_role_changes,
    },
    input.startedBy,
  );
  // the stored personal secrets are the creator's, whom `personal.of` names when they go
  const teamOnly = stored.filter((x) => x.scope === "team");
  if (personal.of === null)
    await noteWithheld(
      env,
      { runId, teamId, executionId: input.executionId },
      personal,
      stored.length - teamOnly.length,
    );
  let secrets: TaskAssignment["secrets"];
  try {
    const [opened, fromIntegration] = await Promise.all([
      openSecretRows(env, teamId, personal.of === null ? teamOnly : stored),
      threaded ? integrationRunSecrets(env, teamId, runId) : [],
    ]);
    // the integration's credentials (a GitHub token) win over a team or personal secret so named
    const given = new Set(fromIntegration.map((x) => x.name));
    // the gateway holds the model keys (and where they go) of a run it serves: the host gets none
    const withheld = gateway ? gatewaySecretNames(config) : new Set<string>();
    secrets = [
      ...opened.filter((x) => !given.has(x.name) && !withheld.has(x.name)),
      ...fromIntegration,
    ];
  } catch (err) {
    if (!(err instanceof SecretUnavailable)) throw err;
    log.error("secret did not open at assignment; the run ends ERROR", {
      run_id: runId,
      team_id: teamId,
      secret: err.secretName,
    });
    return {
      ok: false,
      code: "internal_error",
      message: `The team's ${err.message} (altered, or sealed under a platform key this server no longer has); set it again with PUT /api/v1/agent/secrets/${err.secretName}`,
    };
  }
  const resume = input.executionId > 1 ? await resumeFrom(env, runId, teamId) : null;
  const { holder } = input;
  const claims: AttachClaims = {
    teamId,
    runId,
    principal: holder.actor,
    access: "HOST",
    executionId: input.executionId,
    ...(holder.keyId ? { keyId: holder.keyId } : {}),
  };
  const ttl = holder.maxRunTimeSeconds + RUN_TOKEN_MARGIN_S;
  const secret = getConfig(env).JWT_SECRET;
  const [{ token }, gatewayToken] = await Promise.all([
    signAttachToken(secret, claims, ttl),
    // the same execution's claims for the gateway only, with whose personal secrets it may open
    gateway
      ? signAttachToken(
          secret,
          { ...claims, ...(personal.of ? { personalOf: personal.of } : {}) },
          ttl,
          GATEWAY_AUDIENCE,
        )
      : undefined,
  ]);
  return {
    ok: true,
    assignment: {
      task_id: runId,
      run_id: runId,
      execution_id: input.executionId,
      task: {
        id: runId,
        title: row.title,
        prompt: row.prompt,
        created_at: new Date(row.created_at).toISOString(),
        agent_config: config,
        team_id: teamId,
      },
      session: { path: `/api/v1/agent/runs/${runId}/session`, token },
      env_vars: config.env_vars ?? {},
      environment: config.environment ?? null,
      model: config.model ?? null,
      secrets,
      gateway: gatewayToken ? { path: GATEWAY_PATH, token: gatewayToken.token } : null,
      ...(resume ? { resume } : {}),
    },
  };
}

/**
 * Where a later execution of the run starts from: its last checkpoint, which the holder
 * downloads with its HOST token (src/routes/checkpoints.ts). Null when it has none.
 */
async function resumeFrom(env: Env, runId: string, teamId: string): Promise<ResumeFrom | null> {
  const last = await runSession(env, runId).lastCheckpoint({ runId, teamId });
  if (!last.ok || !last.checkpoint) return null;
  const c = last.checkpoint;
  return {
    checkpoint_id: c.checkpoint_id,
    path: `/api/v1/agent/runs/${runId}/checkpoints/${c.checkpoint_id}`,
    created_at: c.created_at,
    reason: last.reason,
    execution_id: c.execution_id,
  };
}

/** Where the model gateway is served (src/routes/gateway.ts), on the server the holder talks to. */
export const GATEWAY_PATH = "/api/v1/gateway";

/**
 * Tells the run's events that this execution got none of its creator's personal secrets, and why
 * (only when the creator has some). Best effort: the secrets were withheld either way.
 */
async function noteWithheld(
  env: Env,
  run: { runId: string; teamId: string; executionId: number },
  d: Exclude<PersonalSecrets, { of: string }>,
  count: number,
) {
  if (!count) return;
  try {
    const payload = {
      reason: d.reason,
      message: withheldMessage(d, count),
      withheld: count,
      ...(d.reason === "started_by_other"
        ? { started_by: d.startedBy }
        : d.reason === "lower_role_change"
          ? { changes: d.changes }
          : {}),
    };
    await runSession(env, run.runId).secretsWithheld(
      { runId: run.runId, teamId: run.teamId },
      run.executionId,
      payload,
    );
  } catch (err) {
    log.error("could not record that personal secrets were withheld", {
      run_id: run.runId,
      error: err,
    });
  }
}
