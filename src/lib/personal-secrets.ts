import type { ConfigChange, EventActor, Role } from "@ambit/protocol";
import { roleAtLeast } from "./roles.ts";

/**
 * Whose personal secrets an execution of a run gets: the one rule, decided here.
 *
 * 1. Personal secrets go only to executions their owner started. Execution 1 is started by the
 *    run's creator; an execution started by a follow-up on an ended run is started by the
 *    follow-up's sender (the RunSession records it, `started_by`). An execution started by anyone
 *    but the creator gets the team's secrets only: no personal secrets of anybody, not the
 *    creator's and not the sender's either (the run's configuration was chosen by the creator).
 *    A follow-up to a run that has not ended (queued, active or BLOCKED) joins the creator's
 *    execution, whose agent has (or will have) the creator's secrets: sharing a run as EDITOR is
 *    letting teammates steer that agent. That is deliberate; it is not a new execution.
 * 2. A schedule's runs are created as whoever last changed what it runs (`scheduleActor`), with
 *    that person's current role and personal secrets; so rule 1 needs nothing more for them.
 * 3. A run gets its creator's personal secrets only if every piece of shared configuration it
 *    froze (environment, model, registered MCP servers, rules, env vars, named agent, saved
 *    prompt) was last written by the creator or by someone whose role is at least the creator's.
 *    The pieces that were not are frozen with the run (`lower_role_changes`, computed at creation
 *    by `lowerRoleChanges`); the creator consents to one by saving it again.
 *
 * 4. A run made, or an execution started, through a key someone else minted for its principal
 *    (a delegated key: `personal_access` false, see `ownPersonal` in src/services/context.ts)
 *    gets no personal secrets: whoever minted the key holds it too.
 *
 * `personalSecretsFor` applies 1, 3 and 4 at every assignment (a host's or a LOCAL run's CLI); when it
 * holds secrets back, the run's events say so and why (`withheldMessage`), never which or what.
 */

/** The frozen pieces the creator has not vouched for: last written by someone else of a lower role. */
export function lowerRoleChanges(
  pieces: ConfigChange[],
  creator: { id: string; role: Role },
): ConfigChange[] {
  return pieces.filter((p) => p.written_by !== creator.id && !roleAtLeast(p.role, creator.role));
}

export type PersonalSecrets =
  | { of: string }
  | { of: null; reason: "started_by_other"; startedBy: EventActor }
  | { of: null; reason: "delegated_key" }
  | { of: null; reason: "lower_role_change"; changes: ConfigChange[] };

/** Stands for the starter of an execution nobody recorded: it gets what a stranger's would. */
export const UNKNOWN_STARTER: EventActor = { type: "system", id: "unknown" };

/** Who started an execution; `delegated` when it came through a key someone else minted for them. */
export type Starter = EventActor & { delegated?: true };

/** Whose personal secrets the execution `startedBy` started gets: the creator's, or nobody's and why. */
export function personalSecretsFor(
  run: { creatorId: string; personalAccess: boolean; lowerRoleChanges?: ConfigChange[] },
  startedBy: Starter = UNKNOWN_STARTER,
): PersonalSecrets {
  if (startedBy.id !== run.creatorId)
    return {
      of: null,
      reason: "started_by_other",
      startedBy: { type: startedBy.type, id: startedBy.id },
    };
  if (!run.personalAccess || startedBy.delegated) return { of: null, reason: "delegated_key" };
  if (run.lowerRoleChanges?.length)
    return { of: null, reason: "lower_role_change", changes: run.lowerRoleChanges };
  return { of: run.creatorId };
}

const SAVE_AGAIN: Record<ConfigChange["kind"], (c: ConfigChange) => string> = {
  environment: (c) => `environment '${c.name}' (PUT /api/v1/agent/environments/${c.id})`,
  model: (c) => `model '${c.name}' (PUT /api/v1/agent/models/${c.id})`,
  mcp_server: (c) => `MCP server '${c.name}' (PUT /api/v1/agent/mcp-servers/${c.id})`,
  rule: (c) => `rule '${c.name}' (PUT /api/v1/agent/rules/${c.id})`,
  env_var: (c) => `env var '${c.name}' (PUT /api/v1/agent/env-vars/${c.id})`,
  named_agent: (c) => `named agent '${c.name}' (PUT /api/v1/agent/identities/${c.id})`,
  saved_prompt: (c) => `saved prompt '${c.name}' (PUT /api/v1/agent/prompts/${c.id})`,
};

/** What the run's events say when `count` personal secrets of the creator were held back. */
export function withheldMessage(
  d: Exclude<PersonalSecrets, { of: string }>,
  count: number,
): string {
  const what = `${count} personal secret${count === 1 ? "" : "s"} of the run's creator ${count === 1 ? "was" : "were"} withheld; this execution has the team's secrets only`;
  if (d.reason === "started_by_other") {
    return `${what}: it was started by ${d.startedBy.type} ${d.startedBy.id}'s follow-up, and personal secrets go only to executions their owner started. The creator can send the follow-up to run with theirs.`;
  }
  if (d.reason === "delegated_key") {
    return `${what}: it was started through an API key someone else minted for the creator, and such a key never reaches its holder's personal secrets. The creator can send a follow-up with a key of their own (POST /api/v1/api-keys with the key they were given mints one).`;
  }
  const pieces = d.changes.map(
    (c) =>
      `${SAVE_AGAIN[c.kind](c)}, last written by ${c.written_by ?? "someone before writers were recorded"} as ${c.role}`,
  );
  return `${what}: shared configuration it runs was last written by someone of a lower role than the creator: ${pieces.join("; ")}. To consent, the creator reviews each and saves it again, then starts a new run.`;
}
