import type { RunItem } from "@ambit/protocol";
import { eq } from "drizzle-orm";
import type { AttachGrant } from "../../../durable-objects/run-session/sockets.ts";
import { createDb } from "../../db/client.ts";
import { runs, users } from "../../db/schema.ts";
import { anonymousEvent } from "../../lib/anonymous.ts";
import { AppError } from "../../lib/errors.ts";
import { artifactsJson, parseArtifacts } from "./get-run.ts";
import { readEventsPage } from "./run-events.ts";
import { toRunItem } from "./run-item.ts";
import { publicLinks } from "./sharing.ts";

// A run's public link: anyone holding it (no API key) reads that one run and watches its events,
// read-only. The share id is the only credential, so a wrong or revoked one says nothing more
// than "no such link". What it shows names no member (finding 11): no creator id or email, no
// scope or executor uid, and every event's actor anonymous (lib/anonymous.ts; the run's session
// does the same on the link's websockets and SSE streams).

export const NO_LINK =
  "this public link does not exist or was revoked; ask the run's creator for a current link";

async function findShared(env: Env, shareId: string) {
  const [hit] = await createDb(env.DB)
    .select({ row: runs, displayName: users.displayName, artifacts: artifactsJson })
    .from(runs)
    .leftJoin(users, eq(users.id, runs.creatorId))
    .where(eq(runs.sharePublicId, shareId))
    .limit(1);
  if (!hit) throw new AppError("resource_not_found", NO_LINK);
  return hit;
}

/**
 * The run behind a public link, as a `RunItem` without what only teammates need: no creator email
 * or id, no scope or executor uid, no `agent_config` (MCP server settings), and the link's own
 * session as `session_link`.
 */
export async function getPublicRun({
  env,
  shareId,
  baseUrl,
}: {
  env: Env;
  shareId: string;
  baseUrl: string;
}): Promise<RunItem> {
  const hit = await findShared(env, shareId);
  const {
    agent_config: _config,
    creator,
    scope,
    executor,
    ...item
  } = toRunItem(hit.row, null, parseArtifacts(hit.artifacts), baseUrl);
  const links = publicLinks(baseUrl, shareId);
  return {
    ...item,
    ...(scope ? { scope: { type: scope.type } } : {}),
    ...(executor ? { executor: { type: executor.type } } : {}),
    creator: { type: creator?.type, ...(hit.displayName ? { display_name: hit.displayName } : {}) },
    session_link: links.public_session_url,
    sharing: { team: item.sharing!.team, public: "VIEWER", ...links },
  };
}

/**
 * A read-only attach grant for whoever holds the link, from `ip` (the address its per-address
 * viewer cap counts: `cf-connecting-ip`).
 */
export async function authorizePublicAttach({
  env,
  shareId,
  after,
  ip,
}: {
  env: Env;
  shareId: string;
  after: number;
  ip: string;
}): Promise<AttachGrant> {
  const { row } = await findShared(env, shareId);
  return {
    runId: row.id,
    teamId: row.teamId,
    principal: { type: "public", id: "public-link" },
    access: "VIEWER",
    after,
    ip,
  };
}

/** A page of the linked run's events, their actors anonymous. */
export async function readPublicEventsPage(env: Env, grant: AttachGrant, limit: number) {
  const page = await readEventsPage(env, grant, grant.after, limit);
  return { ...page, events: page.events.map(anonymousEvent) };
}
