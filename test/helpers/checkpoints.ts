import { encodeCheckpoint } from "@ambit/protocol";
import { call } from "./api.ts";
import { RUNS } from "./runs.ts";

const SHA = "a".repeat(40);

/** A small checkpoint archive of execution `executionId` (one repository, a conversation) and its id. */
export async function checkpointArchive(executionId = 1, marker = "x") {
  const bundle = new TextEncoder().encode(`bundle bytes ${marker}`);
  const conversation = new TextEncoder().encode(JSON.stringify([{ role: "user", text: "hi" }]));
  const bytes = encodeCheckpoint(
    {
      version: 1,
      reason: "turn",
      execution_id: executionId,
      created_at: new Date().toISOString(),
      repos: [
        {
          name: "repo",
          base: SHA,
          head: SHA,
          snapshot: "b".repeat(40),
          branch: "main",
          bytes: bundle.length,
          excluded: [".env"],
        },
      ],
      conversation: { harness: "ambit", bytes: conversation.length },
    },
    [bundle],
    conversation,
  );
  return { bytes, id: await sha256Hex(bytes) };
}

export async function sha256Hex(bytes: Uint8Array) {
  const digest = await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>);
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** PUT a checkpoint as `auth` (a run's HOST token, or a key to be refused). */
export const putCheckpoint = (runId: string, id: string, auth: string, body: Uint8Array) =>
  call("PUT", `${RUNS}/${runId}/checkpoints/${id}`, {
    raw: body,
    headers: { authorization: `Bearer ${auth}`, "content-type": "application/octet-stream" },
  });
