import { z } from "zod";
import { Scope, Timestamp } from "./common.ts";

/** A secret's name is the environment variable it becomes on the host. */
export const SecretName = z
  .string()
  .regex(
    /^[A-Za-z_][A-Za-z0-9_]{0,127}$/,
    "a secret name is a valid environment variable name: letters, digits and '_', not starting with a digit, at most 128 characters",
  );

export const SecretType = z.enum([
  "raw_value",
  "anthropic_api_key",
  "openai_api_key",
  "anthropic_bedrock_access_key",
  "anthropic_bedrock_api_key",
  "dotenvx",
]);
export type SecretType = z.infer<typeof SecretType>;

/** `team`: every run of the team receives it (admins write it); `personal`: only runs its owner started. */
export const SecretScope = z.enum(["team", "personal"]);
export type SecretScope = z.infer<typeof SecretScope>;

/** A secret as every interface shows it: the value is write-only and never appears. */
export const Secret = z.object({
  name: z.string(),
  description: z.string().nullable(),
  type: SecretType,
  scope: Scope.describe("`Team` (uid = team) or `User` (uid = owner)"),
  created_at: Timestamp,
  updated_at: Timestamp,
  created_by: z.string().nullable(),
});
export type Secret = z.infer<typeof Secret>;

export const CreateSecretRequest = z.object({
  name: SecretName,
  value: z.string().min(1).max(65_536).describe("write-only"),
  description: z.string().max(240).optional(),
  type: SecretType.default("raw_value"),
  scope: SecretScope.default("team"),
});
export type CreateSecretRequest = z.infer<typeof CreateSecretRequest>;

export const UpdateSecretRequest = z.object({
  value: z.string().min(1).max(65_536).optional().describe("write-only; omitted = unchanged"),
  description: z.string().max(240).nullable().optional(),
  type: SecretType.optional(),
});
export type UpdateSecretRequest = z.infer<typeof UpdateSecretRequest>;

export const SecretScopeQuery = z.object({ scope: SecretScope.default("team") });

export const ListSecretsResponse = z.object({ secrets: z.array(Secret) });

export const RotateSecretsKeyResponse = z.object({
  rewrapped: z
    .boolean()
    .describe(
      "true when the team's data key was wrapped by an older platform key and is now wrapped by the current one",
    ),
  key_id: z.string().describe("fingerprint of the platform key now wrapping the team's data key"),
});
