import type { RunEvent } from "@ambit/protocol";

export const transcriptKey = (runId: string) => `runs/${runId}/transcript.ndjson`;

/** The whole event log as NDJSON in R2 (one event per line, in seq order), tagged with its last seq. */
export async function archiveTranscript(bucket: R2Bucket, runId: string, events: RunEvent[]) {
  const body = `${events.map((e) => JSON.stringify(e)).join("\n")}\n`;
  await bucket.put(transcriptKey(runId), body, {
    httpMetadata: { contentType: "application/x-ndjson" },
    customMetadata: { last_seq: String(events.at(-1)?.seq ?? 0) },
  });
}
