import type { RunEvent } from "@ambit/protocol";
import { transcriptKey } from "../../../durable-objects/run-session/archive.ts";
import { AppError } from "../../lib/errors.ts";
import type { Ctx } from "../context.ts";
import { getRunInTeam } from "./get-run.ts";
import type { RunSession } from "../../../durable-objects/run-session/run-session.ts";
import { runSession } from "../../../durable-objects/stubs.ts";

const MAX_PAGE = 1_000;

/** `RunSession.events`'s own result: tsc cannot expand its RPC-mapped type (recursive payloads). */
type EventsPage = Awaited<ReturnType<RunSession["events"]>>;

/** A page of a run's event log after `after`, for a caller already allowed to read it. */
export async function readEventsPage(
  env: Env,
  ref: { runId: string; teamId: string },
  after: number,
  limit: number,
) {
  const session = runSession(env, ref.runId);
  const page = (await session.events(ref, after, Math.min(limit, MAX_PAGE))) as EventsPage;
  if (!page)
    throw new AppError("resource_not_found", `run '${ref.runId}' was not found in this team`);
  const last = page.events.at(-1)?.seq ?? after;
  return { events: page.events, last_seq: page.last_seq, has_more: last < page.last_seq };
}

/** A page of the run's event log after `after`. */
export async function listRunEvents({
  ctx,
  runId,
  after,
  limit,
}: {
  ctx: Ctx;
  runId: string;
  after: number;
  limit: number;
}) {
  const { row } = await getRunInTeam(ctx, runId);
  return readEventsPage(ctx.env, { runId: row.id, teamId: ctx.teamId }, after, limit);
}

/** Every event of the run, from its Durable Object, in order. */
export async function allRunEvents(ctx: Ctx, runId: string): Promise<RunEvent[]> {
  const out: RunEvent[] = [];
  for (let after = 0; ; ) {
    const page = await listRunEvents({ ctx, runId, after, limit: MAX_PAGE });
    out.push(...page.events);
    if (!page.has_more || !page.events.length) return out;
    after = page.events[page.events.length - 1].seq;
  }
}

/** The whole log as NDJSON: from the R2 archive when the run ended and was archived, else live. */
export async function runTranscript({
  ctx,
  runId,
}: {
  ctx: Ctx;
  runId: string;
}): Promise<ReadableStream | string> {
  const { row } = await getRunInTeam(ctx, runId);
  if (row.endedAt !== null) {
    const archived = await ctx.env.ARTIFACTS.get(transcriptKey(row.id));
    // an archive behind the row's summary is an earlier execution's (its rewrite is still due)
    if (archived && Number(archived.customMetadata?.last_seq) >= row.summarySeq)
      return archived.body;
    await archived?.body.cancel();
  }
  const events = await allRunEvents(ctx, row.id);
  return `${events.map((e) => JSON.stringify(e)).join("\n")}\n`;
}
