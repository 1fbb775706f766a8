import type { RunItem } from "@ambit/protocol";
import { eq } from "drizzle-orm";
import type { AttachGrant } from "../../../durable-objects/run-session/sockets.ts";
import { createDb } from "../../db/client.ts";
import { runs, users } from "../../db/schema.ts";
import { AppError } from "../../lib/errors.ts";
import { artifactsJson, parseArtifacts } from "./get-run.ts";
import { toRunItem } from "./run-item.ts";
import { publicLinks } from "./sharing.ts";

// A run's public link: anyone holding it (no API key) reads that one run and watches its events,
// read-only. The share id is the only credential, so a wrong or revoked one says nothing more
// than "no such link".

export const NO_LINK = "this public link does not exist or was revoked; ask the run's creator for a current link";

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
 * or id, no `agent_config` (MCP server settings), and the link's own session as `session_link`.
 */
export async function getPublicRun({ env, shareId, baseUrl }: { env: Env; shareId: string; baseUrl: string }): Promise<RunItem> {
  const hit = await findShared(env, shareId);
  const { agent_config: _config, creator, ...item } = toRunItem(hit.row, null, parseArtifacts(hit.artifacts), baseUrl);
  const links = publicLinks(baseUrl, shareId);
  return {
    ...item,
    creator: { type: creator?.type, ...(hit.displayName ? { display_name: hit.displayName } : {}) },
    session_link: links.public_session_url,
    sharing: { team: item.sharing!.team, public: "VIEWER", ...links },
  };
}

/** A read-only attach grant for whoever holds the link. */
export async function authorizePublicAttach({ env, shareId, after }: { env: Env; shareId: string; after: number }): Promise<AttachGrant> {
  const { row } = await findShared(env, shareId);
  return { runId: row.id, teamId: row.teamId, principal: { type: "public", id: "public-link" }, access: "VIEWER", after };
}
