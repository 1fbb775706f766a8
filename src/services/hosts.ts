import { type HostInfo, PLATFORM_POOL } from "@ambit/protocol";
import { eq } from "drizzle-orm";
import { HOST_GRANT_HEADER, type HostGrant } from "../../durable-objects/host-pool/connections.ts";
import { createDb } from "../db/client.ts";
import { hostPools } from "../db/schema.ts";
import { AppError } from "../lib/errors.ts";
import type { HostTokenClaims } from "../lib/host-token.ts";
import { mutableResponse } from "../lib/mutable-response.ts";
import { type Ctx, requireRole } from "./context.ts";
import { hostPool } from "../../durable-objects/stubs.ts";

const WORKER_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/**
 * Connects a host to its team's pool for `workerId` (admins only: a host receives the team's
 * runs and their secrets). Several hosts may share a worker id; `warp` is the platform pool.
 * A host key (`hosts:connect`, minted for named pools) joins those pools only.
 */
export async function connectHost({
  ctx,
  workerId,
  request,
}: {
  ctx: Ctx;
  workerId: string | undefined;
  request: Request;
}) {
  requireRole(ctx, "admin", "Connecting a host");
  checkHostRequest(workerId, request);
  const pools = ctx.actor.type === "system" ? undefined : ctx.actor.pools;
  if (pools && !pools.includes(workerId!)) {
    throw new AppError(
      "insufficient_scope",
      `This host key joins the pools ${pools.join(", ")} only, not '${workerId}'. Start the host with one of them (--worker-id), or mint a host key for '${workerId}' (\`ambit api-key create --scope hosts:connect --pool ${workerId}\`).`,
      { required_scope: "hosts:connect", pools },
    );
  }
  await ctx.db
    .insert(hostPools)
    .values({ teamId: ctx.teamId, pool: workerId!, firstConnectedAt: Date.now() })
    .onConflictDoNothing();
  return forward(ctx.env, request, {
    teamId: ctx.teamId,
    pool: workerId!,
    workerId: workerId!,
    principal: {
      type: ctx.actor.type === "service_account" ? "service_account" : "user",
      id: ctx.actor.id,
    },
    ...("keyId" in ctx.actor ? { keyId: ctx.actor.keyId } : {}),
  });
}

/**
 * Connects a runner container the platform started for one run (`PLATFORM_HOSTS=containers`):
 * its host credential names the team, the run and its execution, and admits it to the platform
 * pool only, as a host of capacity 1 that the pool gives that run and no other. The pool refuses
 * it while another connection of it is open (409), and once the run's execution no longer waits
 * for or is held by its container (403).
 */
export async function connectPlatformHost({
  env,
  claims,
  workerId,
  request,
}: {
  env: Env;
  claims: HostTokenClaims;
  workerId: string | undefined;
  request: Request;
}) {
  checkHostRequest(workerId, request);
  if (workerId !== claims.pool) {
    throw new AppError(
      "not_authorized",
      `This host credential connects to worker_id=${claims.pool} only, not '${workerId}'; other pools need a host key for them (ambit api-key create --scope hosts:connect --pool <pool>) or an admin API key.`,
    );
  }
  await createDb(env.DB)
    .insert(hostPools)
    .values({ teamId: claims.teamId, pool: claims.pool, firstConnectedAt: Date.now() })
    .onConflictDoNothing();
  return forward(env, request, {
    teamId: claims.teamId,
    pool: claims.pool,
    workerId: claims.pool,
    principal: { type: "host", id: `container:${claims.runId}` },
    container: { runId: claims.runId, executionId: claims.executionId },
  });
}

function checkHostRequest(workerId: string | undefined, request: Request) {
  if (!workerId || !WORKER_ID.test(workerId)) {
    throw new AppError(
      "invalid_request",
      "worker_id is required: 1-64 characters of letters, digits, '.', '_' or '-', starting with a letter or digit",
      {
        errors: [{ path: "query.worker_id", message: "invalid" }],
      },
    );
  }
  if (request.headers.get("upgrade")?.toLowerCase() !== "websocket") {
    throw new AppError(
      "invalid_request",
      "this endpoint needs a websocket upgrade (Upgrade: websocket)",
    );
  }
}

async function forward(env: Env, request: Request, grant: HostGrant) {
  const res = await hostPool(env, grant.teamId, grant.pool).fetch(
    new Request(request.url, {
      headers: { upgrade: "websocket", [HOST_GRANT_HEADER]: JSON.stringify(grant) },
    }),
  );
  if (res.status !== 101) {
    // the pool refused the connection (a runner container's credential it no longer admits)
    const refusal = (await res.json().catch(() => null)) as {
      code?: "conflict" | "not_authorized";
      message?: string;
    } | null;
    throw new AppError(
      refusal?.code ?? "internal_error",
      refusal?.message ?? `the host pool refused the connection (${res.status})`,
    );
  }
  return mutableResponse(res);
}

/** Every connected host connection of the team, pool by pool. */
export async function listHosts({ ctx }: { ctx: Ctx }): Promise<HostInfo[]> {
  const pools = await ctx.db
    .select({ pool: hostPools.pool })
    .from(hostPools)
    .where(eq(hostPools.teamId, ctx.teamId));
  const lists = await Promise.all(pools.map((p) => hostPool(ctx.env, ctx.teamId, p.pool).hosts()));
  return lists.flat() as HostInfo[];
}

/** Oz `connected-self-hosted-workers`: one entry per worker id with its connection count. */
export async function listConnectedWorkers({ ctx }: { ctx: Ctx }) {
  const byWorker = new Map<
    string,
    { worker_host: string; connection_count: number; connected_at: string; last_seen_at: string }
  >();
  for (const h of await listHosts({ ctx })) {
    if (h.worker_id === PLATFORM_POOL) continue;
    const w = byWorker.get(h.worker_id);
    if (!w)
      byWorker.set(h.worker_id, {
        worker_host: h.worker_id,
        connection_count: 1,
        connected_at: h.connected_at,
        last_seen_at: h.last_seen_at,
      });
    else {
      w.connection_count++;
      if (h.connected_at < w.connected_at) w.connected_at = h.connected_at;
      if (h.last_seen_at > w.last_seen_at) w.last_seen_at = h.last_seen_at;
    }
  }
  return [...byWorker.values()];
}
