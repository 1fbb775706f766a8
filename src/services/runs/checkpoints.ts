import { type CheckpointItem, MAX_CHECKPOINT_BYTES, readCheckpointHeader } from "@ambit/protocol";
import { getConfig } from "../../env.ts";
import { verifyAttachToken } from "../../lib/attach-token.ts";
import { AppError } from "../../lib/errors.ts";
import type { AttachGrant } from "../../../durable-objects/run-session/sockets.ts";
import { runSession } from "../../../durable-objects/stubs.ts";
import { recheckHostToken } from "./token-checks.ts";

// A run's checkpoints (docs/runs.md, "Checkpoints"): archives of its repositories' git bundles and
// its harness's conversation, written by the run's host with its HOST token, kept in R2 under
// `checkpoints/<team>/<run>/<sha-256>`, read back by the run's next holder and by whoever may read
// the run. The run's session keeps which one is the last (durable-objects/run-session/checkpoints.ts).

/** Who uploads a checkpoint: the current holder of one execution of a run. */
export type CheckpointWriter = { teamId: string; runId: string; executionId: number };

export const checkpointKey = (teamId: string, runId: string, id: string) =>
  `checkpoints/${teamId}/${runId}/${id}`;

/** The run's HOST token (bearer or `?token=`) for this run's current, held execution, or a refusal. */
export async function authorizeCheckpointWrite(input: {
  env: Env;
  runId: string;
  authorization?: string;
  token?: string;
}): Promise<CheckpointWriter> {
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(input.authorization ?? "")?.[1];
  const token = input.token ?? bearer;
  const refuse = (why: string) =>
    new AppError(
      "not_authorized",
      `writing a checkpoint needs the run's HOST token (it comes with the run's task_assignment): ${why}`,
    );
  if (!token) throw new AppError("authentication_required", "send the run's HOST token");
  if (token.startsWith("ambit_")) throw refuse("an API key may read checkpoints, not write them");
  const claims = await verifyAttachToken(getConfig(input.env).JWT_SECRET, token);
  if (!claims)
    throw new AppError(
      "authentication_required",
      "the HOST token is invalid or expired; it comes with the run's task_assignment",
    );
  if (claims.runId !== input.runId)
    throw new AppError("resource_not_found", `run '${input.runId}' was not found in this team`);
  if (claims.access !== "HOST") throw refuse(`this token gives ${claims.access} access`);
  await recheckHostToken(input.env, claims);
  return { teamId: claims.teamId, runId: claims.runId, executionId: claims.executionId! };
}

/**
 * Stores one checkpoint: its bytes must hash to `checkpointId` (the key is its content, so a
 * resend stores nothing new) and begin with a valid header of the writer's execution. The run's
 * session then records the `checkpoint` event and keeps it as the run's last.
 */
export async function storeCheckpoint(input: {
  env: Env;
  writer: CheckpointWriter;
  checkpointId: string;
  body: ArrayBuffer;
}): Promise<CheckpointItem> {
  const { env, writer, checkpointId, body } = input;
  if (body.byteLength > MAX_CHECKPOINT_BYTES)
    throw new AppError(
      "payload_too_large",
      `a checkpoint is at most ${MAX_CHECKPOINT_BYTES} bytes; this one is ${body.byteLength}`,
    );
  const digest = [...new Uint8Array(await crypto.subtle.digest("SHA-256", body))]
    .map((b) => b.toString(16).padStart(2, "0"))
    .join("");
  if (digest !== checkpointId)
    throw new AppError(
      "invalid_request",
      `the checkpoint's id must be the SHA-256 of its bytes (${digest}), not ${checkpointId}`,
    );
  const read = readCheckpointHeader(new Uint8Array(body));
  if (!read.ok)
    throw new AppError(
      "invalid_request",
      `the body is not a checkpoint archive: ${read.why} (see packages/protocol/src/checkpoints.ts)`,
    );
  const h = read.header;
  if (h.execution_id !== writer.executionId)
    throw new AppError(
      "invalid_request",
      `the archive names execution ${h.execution_id}; this HOST token holds execution ${writer.executionId}`,
    );
  const item: CheckpointItem = {
    checkpoint_id: checkpointId,
    size_bytes: body.byteLength,
    reason: h.reason,
    execution_id: h.execution_id,
    created_at: h.created_at,
    repos: h.repos.map(({ name, base, head, branch }) => ({ name, base, head, branch })),
    has_conversation: h.conversation !== null,
    excluded: h.repos.flatMap((r) =>
      r.excluded.map((f) => (r.name === "." ? f : `${r.name}/${f}`)),
    ),
  };
  await env.ARTIFACTS.put(checkpointKey(writer.teamId, writer.runId, checkpointId), body, {
    httpMetadata: { contentType: "application/octet-stream" },
  });
  const kept = await runSession(env, writer.runId).checkpointStored(
    { runId: writer.runId, teamId: writer.teamId },
    writer.executionId,
    item,
  );
  if (!kept.ok)
    throw new AppError(kept.code === "invalid_request" ? "conflict" : kept.code, kept.message);
  return item;
}

/**
 * A checkpoint's bytes for a caller the attach rules admitted to the run (`grant`: any access, a
 * viewer's too; the run's holder by its HOST token): `latest`, or one by id.
 */
export async function readCheckpoint(input: {
  env: Env;
  grant: Pick<AttachGrant, "runId" | "teamId">;
  checkpointId: string;
}): Promise<{ body: ReadableStream; size: number; checkpointId: string }> {
  const { env, grant } = input;
  let id = input.checkpointId;
  if (id === "latest") {
    const last = await runSession(env, grant.runId).lastCheckpoint({
      runId: grant.runId,
      teamId: grant.teamId,
    });
    if (!last.ok || !last.checkpoint)
      throw new AppError(
        "resource_not_found",
        `run '${grant.runId}' has no checkpoint yet; its host takes one after each agent turn`,
      );
    id = last.checkpoint.checkpoint_id;
  }
  const obj = /^[0-9a-f]{64}$/.test(id)
    ? await env.ARTIFACTS.get(checkpointKey(grant.teamId, grant.runId, id))
    : null;
  if (!obj)
    throw new AppError(
      "resource_not_found",
      `checkpoint '${id}' of run '${grant.runId}' was not found; GET .../checkpoints/latest names the last`,
    );
  return { body: obj.body, size: obj.size, checkpointId: id };
}
