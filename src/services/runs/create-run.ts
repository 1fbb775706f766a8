import {
  type AmbientAgentConfig,
  type ExecutionLocation,
  LOCAL_POOL,
  poolOf,
  type RunAgentRequest,
  type RunAgentResponse,
  type RunSourceType,
  type RunStatusMessage,
  type ScheduleInfo,
} from "@ambit/protocol";
import { dispatchRun } from "../../lib/dispatch.ts";
import { and, eq, getTableColumns, sql } from "drizzle-orm";
import { holdingSlot } from "../../db/runs.ts";
import { runMetadata, runs, teams } from "../../db/schema.ts";
import { asStatement, statementOnce } from "../../db/statements.ts";
import { getConfig } from "../../env.ts";
import { capLimits, type RunLimits } from "../../lib/ceilings.ts";
import { AppError } from "../../lib/errors.ts";
import { uuidv7 } from "../../lib/ids.ts";
import { titleFromPrompt } from "../../lib/title.ts";
import { resolveRunConfig } from "../config/resolve-run.ts";
import { type Ctx, ownPersonal, requirePersonal, requireRole } from "../context.ts";
import { completeIdempotencyStatement, sealResponse } from "../idempotency.ts";
import { newShareId, resolveSharing, sharingOf, visibleTo } from "./sharing.ts";
import type { RunRow } from "./run-item.ts";
import { queuedCountStatement, refuseWhenFull } from "./queue-room.ts";
import { assertBudgetRoom } from "../budgets/assert-room.ts";
import { budgetsOf, teamBudgetsStatements } from "../budgets/caps.ts";
import { runAs } from "./run-as.ts";
import { runSession } from "../../../durable-objects/stubs.ts";
import { log } from "../../lib/log.ts";
import { auditRide, noteAuditTarget } from "../../lib/audit-note.ts";
import { emitPlatformEventOrLog } from "../../lib/platform-events.ts";
import { heardOf, heardStatement } from "../../lib/platform-listeners.ts";

export type CreateRunInput = {
  request: RunAgentRequest;
  source: RunSourceType;
  executionLocation?: ExecutionLocation;
  /** the `agent_config` of the schedule or integration that started the run (below the run and its named agent) */
  triggerConfig?: AmbientAgentConfig;
  /** the schedule that starts this run (Oz `ScheduleInfo`, as the schedule was at that moment) */
  schedule?: ScheduleInfo;
  /** the origin's page (an issue, a PR, a webhook's thread): only an integration sets it, never a client's request */
  triggerUrl?: string;
  /**
   * Rows the trigger writes with the run, in its batch (before its `run.created` event and its
   * dispatch): an integration's thread, so the first report and the assignment find it.
   */
  alsoWrite?: (runId: string, now: number) => D1PreparedStatement[];
};

const QUEUED_MESSAGE: RunStatusMessage = { message: "Queued: waiting to be dispatched to a host" };
const LOCAL_MESSAGE: RunStatusMessage = {
  message: "Waiting for the CLI that created it to start it on its machine (LOCAL run)",
};

/**
 * Creates a run: validates what the request refers to, writes the run row (with its metadata rows
 * and the idempotency answer) in one D1 batch, and sends it to its pool's line. The run's
 * `RunSession` opens on its first use (RunSession.load): the row is all it starts from, and a run
 * that waits for a host costs no Durable Object of its own until then. A LOCAL run's session
 * opens here, as its lease (the CLI must claim it) starts now.
 * Every trigger (API, schedules, webhooks, CLI) creates runs through this one verb.
 */

export async function createRun({
  ctx,
  input,
}: {
  ctx: Ctx;
  input: CreateRunInput;
}): Promise<RunAgentResponse> {
  requireRole(ctx, "member", "Creating runs");
  const req = input.request;
  const as = await runAs(ctx, req);
  if (as.agentUid && req.team === false) {
    throw new AppError(
      "invalid_request",
      "agent_identity_uid is only allowed on team runs; omit team or set it to true",
      {
        errors: [{ path: "agent_identity_uid", message: "team runs only" }],
      },
    );
  }
  if (req.parent_run_id) await assertParentVisible(ctx, req.parent_run_id);

  const location = req.execution_location ?? input.executionLocation ?? "REMOTE";
  // both are the creator's own: a key minted for them by someone else could never see or claim them
  if (req.team === false) requirePersonal(ctx, "Creating a personal run (team: false)");
  if (location === "LOCAL") requirePersonal(ctx, "Creating a LOCAL run");
  if (location === "LOCAL" && req.config?.worker_host) {
    throw new AppError(
      "invalid_request",
      "a LOCAL run runs on the creator's machine, not on a host pool; omit config.worker_host or execution_location",
      {
        errors: [
          { path: "config.worker_host", message: "not allowed with execution_location LOCAL" },
        ],
      },
    );
  }
  const requested = { ...(req.config ?? {}) };
  if (req.skill) {
    requested.skill_spec = req.skill;
    delete requested.skills;
  }
  const [{ config, prompt }] = await Promise.all([
    resolveRunConfig(ctx, {
      config: requested,
      prompt: req.prompt ?? "",
      savedPrompt: req.saved_prompt,
      agentIdentityUid: as.agentUid,
      trigger: input.triggerConfig,
    }),
    // alongside, not after, and in one D1 round trip: the line's room and the budgets
    assertRoomToStart(ctx, as.onBehalfOf ?? ctx.actor.id),
  ]);
  const skillSpec = config.skill_spec ?? config.skills?.[0] ?? null;
  if (!prompt.trim() && !skillSpec && !req.conversation_id) {
    throw new AppError(
      "invalid_request",
      "prompt is required unless a skill, a saved prompt or conversation_id provides one",
      { errors: [{ path: "prompt", message: "required" }] },
    );
  }
  const scope = req.team === false ? "User" : "Team";
  const sharing = resolveSharing(req, scope, config);
  const now = Date.now();
  const id = uuidv7(now);
  const attachments = req.attachments ?? req.images ?? [];
  await Promise.all(
    attachments.map((a, i) =>
      ctx.env.ARTIFACTS.put(
        `runs/${id}/attachments/${i}-${safeFileName(a.file_name)}`,
        Uint8Array.from(atob(a.data), (c) => c.charCodeAt(0)),
        {
          httpMetadata: { contentType: a.mime_type },
        },
      ),
    ),
  );

  const row: RunRow = {
    id,
    teamId: ctx.teamId,
    scope,
    creatorType: as.onBehalfOf || ctx.actor.type !== "service_account" ? "user" : "service_account",
    creatorId: as.onBehalfOf ?? ctx.actor.id,
    title: req.title?.trim() || titleFromPrompt(prompt, skillSpec ?? "Untitled run"),
    prompt,
    mode: req.mode ?? null,
    state: "QUEUED",
    source: input.source,
    executionLocation: location,
    configName: config.name ?? null,
    modelId: config.model_id ?? null,
    environmentId: config.environment_id ?? null,
    skillSpec,
    scheduleId: input.schedule?.schedule_id ?? null,
    scheduleInfo: input.schedule ?? null,
    workerHost: config.worker_host ?? null,
    agentConfig: config,
    metadata: req.metadata && Object.keys(req.metadata).length ? req.metadata : null,
    statusMessage: location === "LOCAL" ? LOCAL_MESSAGE : QUEUED_MESSAGE,
    conversationId: req.conversation_id ?? null,
    parentRunId: req.parent_run_id ?? null,
    sessionId: null,
    hostId: null,
    triggerUrl: input.triggerUrl ?? null,
    shareTeam: sharing.shareTeam,
    sharePublicId: sharing.publicLink ? newShareId() : null,
    // a run made through a key someone else minted gets the team's secrets, not its creator's personal ones
    personalAccess: !as.onBehalfOf && ownPersonal(ctx) !== undefined,
    attempts: 0,
    summarySeq: 1, // the RunSession's `run.created` event
    startedAt: null,
    endedAt: null,
    createdAt: now,
    updatedAt: now,
  };
  const response: RunAgentResponse = { run_id: id, task_id: id, state: "QUEUED" };
  // only a request about sharing (or one whose config made a public link) hears about it: Oz's answer stays Oz's
  if (req.sharing || row.sharePublicId) response.sharing = sharingOf(row, ctx.baseUrl);
  // the public link is a credential: a replay names the sharing, and GET /agent/runs/{id} shows the link
  const stored = response.sharing
    ? { ...response, sharing: { team: response.sharing.team, public: response.sharing.public } }
    : response;
  const sealed = ctx.idempotency
    ? await sealResponse(ctx.idempotency, { status: 200, body: JSON.stringify(stored) })
    : undefined;
  const metadataRows = Object.entries(req.metadata ?? {}).map(([key, value]) => ({
    runId: id,
    teamId: ctx.teamId,
    key,
    value,
  }));
  const statements = [
    teamLoad(ctx.db, { teamId: ctx.teamId }),
    insertRun(ctx.db, row),
    ...(metadataRows.length
      ? [asStatement(ctx.db, ctx.db.insert(runMetadata).values(metadataRows))]
      : []),
    ...(ctx.idempotency && sealed
      ? [asStatement(ctx.db, completeIdempotencyStatement(ctx.db, ctx.idempotency, sealed))]
      : []),
    ...(input.alsoWrite?.(id, now) ?? []),
    // after the run's rows: it sees the thread an integration's `alsoWrite` made
    heardStatement(ctx.env.DB, { teamId: ctx.teamId, runId: id }),
  ];
  // the request's audit entry, in the same batch: one round trip, and they commit together
  const audit = await auditRide(ctx, { type: "run", id });
  const written = await ctx.env.DB.batch<TeamLoad>([...statements, ...(audit?.statements ?? [])]);
  audit?.landed(written.slice(statements.length));
  const load = written[0].results[0];
  const heard = heardOf(written[statements.length - 1]);
  if (ctx.idempotency) ctx.idempotency.completed = true;
  // the audit entry's target, so the middleware need not parse the answer back for its id
  noteAuditTarget(ctx, "run", id);
  // the run exists from here: its event goes out beside the dispatch (to its team's webhooks and
  // its integration, if it has either); losing it never fails the request
  const created =
    heard &&
    emitPlatformEventOrLog(ctx.env, {
      team_id: ctx.teamId,
      type: "run.created",
      at: now,
      data: {
        run_id: id,
        state: "QUEUED",
        source: row.source,
        title: row.title,
        execution_location: location,
        ...(row.scheduleId ? { schedule_id: row.scheduleId } : {}),
      },
    });
  // Oz's `at_capacity`: the run is queued behind the team's concurrency limit (the idempotent
  // replay of this answer omits it: it described that moment, not the run)
  if (load && load.active >= capLimits(load, getConfig(ctx.env)).maxConcurrentRuns)
    response.at_capacity = true;
  // a LOCAL run is claimed by its creator's CLI (local-run.ts), never offered to a host pool
  if (location === "LOCAL") {
    await Promise.all([openSession(ctx, row), created]);
    return response;
  }
  await Promise.all([
    dispatchRun(
      ctx.env,
      { runId: id, teamId: ctx.teamId, pool: poolOf(row.workerHost), executionId: 1 },
      ctx.requestId,
    ),
    created,
  ]);
  return response;
}

/** Refuses the run when its team's line is full or a budget it spends from is used up. */
async function assertRoomToStart(ctx: Ctx, memberId: string) {
  const [queued, ...budgets] = await ctx.db.$client.batch<{ n: number }>([
    queuedCountStatement(ctx),
    ...teamBudgetsStatements(ctx.db, ctx.teamId),
  ]);
  refuseWhenFull(ctx, queued.results[0].n);
  await assertBudgetRoom(ctx, { memberId, budgets: budgetsOf(budgets) });
}

/** Opens a LOCAL run's session. The row is committed already, so a failure here must not fail the
 * request: the session builds itself from the D1 row on its first use (and the lease starts then). */
async function openSession(ctx: Ctx, row: RunRow) {
  try {
    await runSession(ctx.env, row.id).init({
      runId: row.id,
      teamId: row.teamId,
      state: "QUEUED",
      createdAt: row.createdAt,
      statusMessage: row.statusMessage as RunStatusMessage,
      prompt: row.prompt,
      pool: LOCAL_POOL,
      actor: { type: ctx.actor.type, id: ctx.actor.id },
    });
  } catch (err) {
    log.error("run session init failed; it will rebuild from D1", {
      run_id: row.id,
      request_id: ctx.requestId,
      error: err,
    });
  }
}

/** The run row's INSERT (every column), built once: see statementOnce. */
const insertRun = statementOnce<RunRow>((db) =>
  db
    .insert(runs)
    .values(
      Object.fromEntries(
        Object.keys(getTableColumns(runs)).map((k) => [k, sql.placeholder(k)]),
      ) as unknown as RunRow,
    ),
);

type TeamLoad = RunLimits & { active: number };

/**
 * How many runs the team may have held by hosts, and how many are (read in the create batch,
 * before the insert). Only `active >= max` matters, so the count stops at `max`: a team with
 * thousands of runs in flight does not make every creation count them all.
 */
const teamLoad = statementOnce<{ teamId: string }>((db) =>
  db
    .select({
      maxConcurrentRuns: sql<number>`${teams.maxConcurrentRuns}`.as("maxConcurrentRuns"),
      maxRunTimeSeconds: sql<number>`${teams.maxRunTimeSeconds}`.as("maxRunTimeSeconds"),
      active:
        sql<number>`(SELECT count(*) FROM (SELECT 1 FROM ${runs} WHERE ${holdingSlot(sql.placeholder("teamId"))}
        LIMIT (SELECT ${teams.maxConcurrentRuns} FROM ${teams} WHERE ${eq(teams.id, sql.placeholder("teamId"))})))`.as(
          "active",
        ),
    })
    .from(teams)
    .where(eq(teams.id, sql.placeholder("teamId"))),
);

/** A file name safe as the last segment of an object key or a path: no separators, no dot-dot. */
const safeFileName = (name: string | undefined) =>
  (name ?? "image")
    .replace(/[^A-Za-z0-9._-]+/g, "_")
    .replace(/^\.+/, "_")
    .slice(0, 100) || "image";

async function assertParentVisible(ctx: Ctx, parentRunId: string) {
  const [parent] = await ctx.db
    .select({ id: runs.id })
    .from(runs)
    .where(and(eq(runs.teamId, ctx.teamId), eq(runs.id, parentRunId), visibleTo(ctx)))
    .limit(1);
  if (!parent) {
    throw new AppError(
      "invalid_request",
      `parent_run_id '${parentRunId}' is not a run you can see in this team`,
      {
        errors: [{ path: "parent_run_id", message: "unknown run" }],
      },
    );
  }
}
