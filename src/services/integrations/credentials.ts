import type { AmbientAgentConfig } from "@ambit/protocol";
import type { z } from "zod";
import type { IntegrationKind, IntegrationRecord } from "../../integrations/kind.ts";
import { openValue, sealValue } from "../../lib/envelope.ts";
import { validationError } from "../../lib/problem.ts";
import { openTeamDataKey, teamDataKey } from "../../lib/team-data-key.ts";
import type { IntegrationRow } from "./integration-item.ts";

// Sealed like a secret (src/lib/envelope.ts), bound to the integration: a ciphertext copied to
// another integration or team does not open. The owner id cannot collide with a secret's.
const binding = (teamId: string, integrationId: string) => ({
  teamId,
  scope: "team" as const,
  ownerId: `integration:${integrationId}`,
  name: "credentials",
});

export async function sealCredentials(
  env: Env,
  at: { teamId: string; integrationId: string },
  credentials: Record<string, unknown>,
): Promise<string> {
  const key = (await teamDataKey(env, at.teamId, true))!;
  return sealValue(key, binding(at.teamId, at.integrationId), JSON.stringify(credentials));
}

/** Which credential fields are set (names only): what a response may say without unsealing. */
export const credentialFieldsOf = (credentials: unknown) =>
  Object.entries(credentials as Record<string, unknown>)
    .filter(([, v]) => v !== undefined && v !== null && v !== "")
    .map(([k]) => k)
    .sort();

/**
 * The integration's credentials in clear: only for verifying, deciding and reporting, never a
 * response. `teamKey`: the team's `team_keys` row when the caller read it already.
 */
export async function openCredentials(
  env: Env,
  row: Pick<IntegrationRow, "teamId" | "id" | "credentialsSealed">,
  teamKey?: { wrappedKey: string; kid: string } | null,
): Promise<Record<string, unknown>> {
  const key = teamKey
    ? await openTeamDataKey(env, row.teamId, teamKey)
    : await teamDataKey(env, row.teamId, false);
  if (!key) throw new Error(`team ${row.teamId} has no data key to open integration ${row.id}`);
  return JSON.parse(await openValue(key, binding(row.teamId, row.id), row.credentialsSealed));
}

/** `value` checked by a kind's schema; a failure names the field under `target` (never its value). */
export function parseWith<T>(schema: z.ZodType<T>, value: unknown, target: string): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw validationError(parsed.error, target);
  return parsed.data;
}

/** The integration as its kind sees it: credentials opened, settings as stored (checked on write). */
export async function integrationRecord(
  env: Env,
  row: IntegrationRow,
  kind: IntegrationKind,
): Promise<IntegrationRecord<unknown, unknown>> {
  return {
    id: row.id,
    teamId: row.teamId,
    type: kind.type,
    name: row.name,
    enabled: row.enabled,
    credentials: await openCredentials(env, row),
    settings: row.settings,
    runDefaults: row.runDefaults as AmbientAgentConfig,
    promptTemplate: row.promptTemplate,
  };
}
