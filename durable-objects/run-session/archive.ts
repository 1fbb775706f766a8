export const transcriptKey = (runId: string) => `runs/${runId}/transcript.ndjson`;

/**
 * The whole event log as NDJSON in R2 (one event per line, in seq order, each line exactly
 * `JSON.stringify` of the event as the API gives it), tagged with its last seq.
 */
export async function archiveTranscript(
  bucket: R2Bucket,
  runId: string,
  log: { ndjson: string; last: number },
) {
  await bucket.put(transcriptKey(runId), log.ndjson, {
    httpMetadata: { contentType: "application/x-ndjson" },
    customMetadata: { last_seq: String(log.last) },
  });
}
