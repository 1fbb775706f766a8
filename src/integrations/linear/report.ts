import type { PlatformEventMessage } from "@ambit/protocol";
import { getConfig } from "../../env.ts";
import { log } from "../../lib/log.ts";
import { readEventsPage } from "../../services/runs/run-events.ts";
import { readRunFacts } from "../run-facts.ts";
import type { Thread } from "../kind.ts";
import { VendorRetryError } from "../vendor-retry.ts";
import { type Lease, releaseLease, saveProgress, takeLease } from "./cursor.ts";
import type { LinearClient } from "./graphql.ts";
import { createActivity } from "./queries.ts";
import type { LinearIntegration } from "./record.ts";
import { needsLinks, type RunLinks, renderEvent } from "./render.ts";
import type { LinearThreadState } from "./thread.ts";

const PAGE = 200;
/** Times one report posts the entries written while it posted (a streaming run never stops). */
const CATCH_UP_ROUNDS = 3;

/**
 * Mirrors a run into its agent session: every platform event of the run makes the report read the
 * run's log past the session's cursor (`seq` in the thread state) and post what `render.ts` makes
 * of each entry, in log order, saving the cursor after each. One report per session posts at a
 * time (a lease in the thread state); another waits (`VendorRetryError`, retried), except a tool's
 * `run.progress`, which leaves it to the holder: after letting go, the holder looks for entries
 * written meanwhile and posts them too (a few rounds; a run that keeps writing is caught up by its
 * next event), so no entry is skipped or posted twice. Linear refusing to take
 * an activity now (429, `RATELIMITED`, 5xx) throws `VendorRetryError` with the cursor kept where
 * it got to; the run goes on regardless.
 */
export async function reportToLinear(input: {
  env: Env;
  integration: LinearIntegration;
  thread: Thread;
  event: PlatformEventMessage;
  client: LinearClient;
  now?: () => number;
}): Promise<void> {
  const { env, integration, event, client } = input;
  const now = input.now ?? Date.now;
  const runId = typeof event.data.run_id === "string" ? event.data.run_id : null;
  const sessionId = (input.thread.state as LinearThreadState | undefined)?.session_id;
  if (!runId || !sessionId || event.team_id !== integration.teamId) return;
  const at = { integrationId: integration.id, key: input.thread.key };
  for (let round = 1; ; round++) {
    const taken = await takeLease(env.DB, at, now());
    if (!taken) {
      // a tool's nudge finds the holder posting: the holder looks again once done (below)
      if (event.type === "run.progress") return;
      throw new VendorRetryError(1, "another report is posting to this agent session");
    }
    let state: LinearThreadState;
    try {
      state = await postPending({
        env,
        integration,
        client,
        runId,
        lease: taken.lease,
        state: taken.state,
        now,
      });
    } finally {
      await releaseLease(env.DB, taken.lease);
    }
    // entries written while this report posted, whose nudges found it busy: post them too
    const ref = { runId, teamId: integration.teamId };
    if (round >= CATCH_UP_ROUNDS) return;
    if (!(await readEventsPage(env, ref, state.seq ?? 0, 1)).events.length) return;
  }
}

async function postPending(r: {
  env: Env;
  integration: LinearIntegration;
  client: LinearClient;
  runId: string;
  lease: Lease;
  state: LinearThreadState;
  now: () => number;
}): Promise<LinearThreadState> {
  let state = r.state;
  const ref = { runId: r.runId, teamId: r.integration.teamId };
  const base = getConfig(r.env).PUBLIC_URL?.replace(/\/+$/, "");
  let links: RunLinks = { runId: r.runId, runUrl: base ? `${base}/runs/${r.runId}` : null };
  let facts = false;
  for (;;) {
    const page = await readEventsPage(r.env, ref, state.seq ?? 0, PAGE);
    for (const e of page.events) {
      if (!facts && needsLinks(e)) {
        const read = await readRunFacts(r.env.DB, ref.teamId, ref.runId);
        links = { ...links, pullRequestUrl: read?.pullRequestUrl ?? null };
        facts = true;
      }
      const rendered = renderEvent(
        e,
        {
          calls: state.calls ?? {},
          ...(state.last_message ? { last_message: state.last_message } : {}),
        },
        links,
      );
      for (const content of rendered.activities)
        await createActivity(r.client, state.session_id, content);
      state = {
        ...state,
        seq: e.seq,
        calls: rendered.memory.calls,
        last_message: rendered.memory.last_message,
      };
      if (!(await saveProgress(r.env.DB, r.lease, state, r.now()))) {
        log.warn("linear: a report lost its lease to a later one", { run_id: r.runId });
        return state;
      }
    }
    if (!page.has_more) return state;
  }
}
