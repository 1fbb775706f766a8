/**
 * Every comment this integration writes carries a hidden marker naming its run and the version of
 * what it shows: `report` finds its comment again by it (one comment per run) and never replaces
 * it with an older version; `decide` drops any comment bearing it (our own echo, whoever posted).
 */
const MARKER = /<!-- ambit:run=([\w-]+) v=(\d+) -->/;

export const commentMarker = (runId: string, version: number) =>
  `<!-- ambit:run=${runId} v=${version} -->`;

export function readMarker(body: string | null | undefined) {
  const m = body?.match(MARKER);
  return m ? { runId: m[1], version: Number(m[2]) } : null;
}
