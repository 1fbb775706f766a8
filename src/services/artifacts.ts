import type {
  ArtifactResponse,
  ArtifactType,
  ReportArtifactRequest,
  UploadFileArtifactQuery,
} from "@ambit/protocol";
import { and, eq } from "drizzle-orm";
import { createDb, type Db } from "../db/client.ts";
import { runArtifacts, runs } from "../db/schema.ts";
import { getConfig } from "../env.ts";
import { signArtifactToken, verifyArtifactToken } from "../lib/artifact-token.ts";
import { verifyAttachToken } from "../lib/attach-token.ts";
import { AppError, notFound } from "../lib/errors.ts";
import { newUid } from "../lib/ids.ts";
import { emitPlatformEventOrLog } from "../lib/platform-events.ts";
import { iso } from "../lib/time.ts";
import { authenticateApiKey } from "./authenticate.ts";
import { requireScope } from "../lib/require-scope.ts";
import { type Ctx, requireRole } from "./context.ts";
import { visibleTo } from "./runs/sharing.ts";
import { recheckHostToken, recheckMintingKey } from "./runs/token-checks.ts";

/** Largest file artifact accepted (the request body limit of the upload route). */
export const MAX_ARTIFACT_BYTES = 25 * 1024 * 1024;

/** Who may add artifacts to a run: its host (the HOST attach token of the assignment) or an admin's API key. */
/** Who adds an artifact: the run's host by its token, or an admin's key (`keyId`, `memberId`). */
export type ArtifactWriter = { teamId: string; runId: string; keyId?: string; memberId?: string };

const r2Key = (teamId: string, runId: string, uid: string) => `artifacts/${teamId}/${runId}/${uid}`;

/**
 * Authenticates an artifact upload before anything is stored: a HOST attach token for this very
 * run (as a bearer or `?token=`), or an API key with the admin role (what hosts connect with).
 */
export async function authorizeArtifactWrite(input: {
  env: Env;
  runId: string;
  authorization?: string;
  token?: string;
}): Promise<ArtifactWriter> {
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(input.authorization ?? "")?.[1];
  const attach = input.token ?? (bearer && !bearer.startsWith("ambit_") ? bearer : undefined);
  if (attach) {
    const claims = await verifyAttachToken(getConfig(input.env).JWT_SECRET, attach);
    if (!claims)
      throw new AppError(
        "authentication_required",
        "the host token is invalid or expired; it comes with the run's task_assignment",
      );
    if (claims.runId !== input.runId) throw notFound("Run", input.runId);
    if (claims.access !== "HOST")
      throw new AppError(
        "not_authorized",
        `adding artifacts needs the run's HOST token; this token gives ${claims.access} access`,
      );
    await recheckHostToken(input.env, claims);
    return { teamId: claims.teamId, runId: claims.runId };
  }
  const db = createDb(input.env.DB);
  const { teamId, actor } = await authenticateApiKey(db, input.authorization);
  requireScope(actor, "runs:write", "Adding artifacts to a run");
  requireRole(
    { teamId, actor, db, env: input.env, requestId: "", baseUrl: "" },
    "admin",
    "Adding artifacts to a run",
  );
  const [row] = await db
    .select({ id: runs.id })
    .from(runs)
    .where(and(eq(runs.teamId, teamId), eq(runs.id, input.runId)))
    .limit(1);
  if (!row) throw notFound("Run", input.runId);
  return { teamId, runId: row.id, keyId: actor.keyId, memberId: actor.id };
}

/** The insert of one artifact row (a caller may batch it with the run it belongs to). */
export function artifactInsert(
  db: Db,
  a: {
    teamId: string;
    runId: string;
    type: ArtifactType;
    data: Record<string, unknown>;
    createdAt: number;
    uid?: string;
  },
) {
  const { teamId, runId, type: artifactType, data, createdAt } = a;
  return db
    .insert(runArtifacts)
    .values({ id: a.uid ?? newUid(), runId, teamId, artifactType, data, createdAt });
}

async function insertArtifact(
  env: Env,
  w: ArtifactWriter,
  type: ArtifactType,
  data: Record<string, unknown>,
  uid = newUid(),
) {
  const createdAt = Date.now();
  await artifactInsert(createDb(env.DB), { ...w, type, data, createdAt, uid });
  const artifact = { artifact_uid: uid, artifact_type: type, created_at: iso(createdAt), data };
  await emitPlatformEventOrLog(env, {
    team_id: w.teamId,
    type: "artifact.created",
    at: createdAt,
    data: { run_id: w.runId, artifact },
  });
  return artifact;
}

/** Records a pull request or external reference of a run; it shows on the run's `artifacts`. */
export async function reportArtifact({
  env,
  writer,
  input,
}: {
  env: Env;
  writer: ArtifactWriter;
  input: ReportArtifactRequest;
}) {
  return insertArtifact(env, writer, input.artifact_type, input.data);
}

/** Stores a file of a run in R2 and records it as a `FILE` artifact. */
export async function uploadFileArtifact(input: {
  env: Env;
  writer: ArtifactWriter;
  query: UploadFileArtifactQuery;
  body: ArrayBuffer;
  contentType?: string;
}) {
  const { env, writer, query } = input;
  const uid = newUid();
  const mime = input.contentType?.split(";")[0].trim() || "application/octet-stream";
  const obj = await env.ARTIFACTS.put(r2Key(writer.teamId, writer.runId, uid), input.body, {
    httpMetadata: { contentType: mime },
  });
  const data = {
    artifact_uid: uid,
    filename: query.filename,
    filepath: query.filepath ?? query.filename,
    mime_type: mime,
    size_bytes: obj?.size ?? 0,
    ...(query.title ? { title: query.title } : {}),
    ...(query.description ? { description: query.description } : {}),
  };
  return insertArtifact(env, writer, "FILE", data, uid);
}

/** The artifact of a run the caller can see, or `resource_not_found` (another team's included). */
async function artifactInTeam(ctx: Ctx, uid: string) {
  const [hit] = await ctx.db
    .select({ a: runArtifacts })
    .from(runArtifacts)
    .innerJoin(runs, and(eq(runs.id, runArtifacts.runId), eq(runs.teamId, runArtifacts.teamId)))
    .where(and(eq(runArtifacts.id, uid), eq(runArtifacts.teamId, ctx.teamId), visibleTo(ctx)))
    .limit(1);
  if (!hit) throw notFound("Artifact", uid);
  return hit.a;
}

/** Oz `GET /agent/artifacts/{uid}`: files carry a short-lived `download_url`. */
export async function getArtifact({
  ctx,
  uid,
}: {
  ctx: Ctx;
  uid: string;
}): Promise<ArtifactResponse> {
  const a = await artifactInTeam(ctx, uid);
  const stored = a.data as Record<string, unknown>;
  let data: Record<string, unknown> = stored;
  if (a.artifactType === "FILE") {
    const { url, expiresAt } = await downloadLink(ctx, a.id);
    const { mime_type, artifact_uid: _uid, ...rest } = stored;
    data = {
      ...rest,
      download_url: url,
      expires_at: expiresAt.toISOString(),
      content_type: mime_type,
    };
  }
  return {
    artifact_uid: a.id,
    artifact_type: a.artifactType as ArtifactType,
    created_at: iso(a.createdAt),
    data,
  };
}

/** Oz `GET /agent/artifacts/{uid}/download`: where to fetch the file (a signed, short-lived link). */
export async function artifactDownloadUrl({
  ctx,
  uid,
}: {
  ctx: Ctx;
  uid: string;
}): Promise<string> {
  const a = await artifactInTeam(ctx, uid);
  if (a.artifactType !== "FILE" && a.artifactType !== "SCREENSHOT") {
    throw new AppError(
      "invalid_request",
      `artifact '${uid}' is a ${a.artifactType}, which has no file to download; read it with GET /agent/artifacts/${uid}`,
    );
  }
  return (await downloadLink(ctx, a.id)).url;
}

async function downloadLink(ctx: Ctx, uid: string) {
  if (ctx.actor.type === "system")
    throw new AppError("internal_error", "download links are minted for a caller with an API key");
  const { token, expiresAt } = await signArtifactToken(getConfig(ctx.env).JWT_SECRET, {
    teamId: ctx.teamId,
    artifactUid: uid,
    principal: { type: ctx.actor.type, id: ctx.actor.id },
    keyId: ctx.actor.keyId,
  });
  return {
    url: `${ctx.baseUrl}/api/v1/agent/artifacts/${uid}/content?token=${encodeURIComponent(token)}`,
    expiresAt,
  };
}

/**
 * The bytes behind a signed download link, while whoever got the link may still read the artifact:
 * the key it was minted with is still valid and its holder still sees the run.
 */
export async function readArtifactContent({
  env,
  uid,
  token,
}: {
  env: Env;
  uid: string;
  token: string;
}) {
  const claims = await verifyArtifactToken(getConfig(env).JWT_SECRET, token);
  if (!claims || claims.artifactUid !== uid) {
    throw new AppError(
      "authentication_required",
      "this download link is invalid or expired; get a new one with GET /api/v1/agent/artifacts/{uid}/download",
    );
  }
  const { role, personal } = await recheckMintingKey(env, claims, "download link");
  const ctx: Ctx = {
    teamId: claims.teamId,
    actor: { ...claims.principal, role, keyId: claims.keyId, personal },
    db: createDb(env.DB),
    env,
    requestId: "",
    baseUrl: "",
  };
  const a = await artifactInTeam(ctx, uid);
  const obj = await env.ARTIFACTS.get(r2Key(a.teamId, a.runId, a.id));
  if (!obj) throw notFound("Artifact", uid);
  const data = a.data as { filename?: string; mime_type?: string };
  return {
    body: obj.body,
    size: obj.size,
    contentType: data.mime_type ?? "application/octet-stream",
    filename: data.filename ?? uid,
  };
}
