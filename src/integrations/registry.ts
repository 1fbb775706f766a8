import { createGitHubKind } from "./github/index.ts";
import type { IntegrationKind } from "./kind.ts";
import { createSlackKind } from "./slack/index.ts";
import { linearKind } from "./linear/index.ts";
import { threadRunId } from "./threads.ts";
import { webhookKind } from "./webhook/index.ts";

// a mention on a thread that already has a run is a follow-up to it (threads.ts)
const threadHasRun = async (env: Env, id: string, key: string) =>
  (await threadRunId(env, id, key)) !== null;

/**
 * Every kind of integration this server runs, by `type`. A new kind is one line here (and its
 * name in the protocol's `IntegrationType`).
 */
const KINDS: Partial<Record<IntegrationKind["type"], IntegrationKind>> = {
  webhook: webhookKind as IntegrationKind,
  github: createGitHubKind({ threadHasRun }) as IntegrationKind,
  slack: createSlackKind({ threadHasRun }) as IntegrationKind,
  linear: linearKind as IntegrationKind,
};

/** The kind of `type`, or undefined when this server does not run it (yet). */
export const kindOf = (type: string): IntegrationKind | undefined =>
  KINDS[type as IntegrationKind["type"]];
