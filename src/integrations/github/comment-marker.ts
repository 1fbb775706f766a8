/**
 * Every comment this integration writes carries a hidden marker naming its run and the time of
 * the event it shows: `report` finds its comment again by it (one comment per run, edits in
 * event order), and `decide` drops any comment bearing it (our own echo, whoever the author).
 */
const MARKER = /<!-- ambit:run=([\w-]+) at=(\d+) -->/;

export const commentMarker = (runId: string, at: number) => `<!-- ambit:run=${runId} at=${at} -->`;

export function readMarker(body: string | null | undefined) {
  const m = body?.match(MARKER);
  return m ? { runId: m[1], at: Number(m[2]) } : null;
}
