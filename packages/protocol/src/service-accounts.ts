import { z } from "zod";
import { Role, Timestamp } from "./common.ts";

/**
 * A non-human member of a team (CI, an integration, a host): it has a role like a person and
 * API keys of its own, and nobody signs in as it. Admins manage them (docs/security.md).
 */
export const ServiceAccount = z.object({
  uid: z.string(),
  type: z.literal("service_account"),
  name: z.string(),
  description: z.string().nullable(),
  role: Role,
  created_by: z.string().nullable().describe("the member who created it"),
  created_at: Timestamp,
});
export type ServiceAccount = z.infer<typeof ServiceAccount>;

export const CreateServiceAccountRequest = z.object({
  name: z
    .string()
    .trim()
    .min(1)
    .max(100)
    .describe("what it is for, e.g. `ci` or `host-build-1`; unique in the team"),
  description: z.string().trim().max(500).optional(),
  role: Role.exclude(["owner"])
    .default("member")
    .describe("no higher than the creator's; its keys never act above it"),
});
export type CreateServiceAccountRequest = z.infer<typeof CreateServiceAccountRequest>;

export const UpdateServiceAccountRequest = z
  .object({
    name: z.string().trim().min(1).max(100).optional(),
    description: z.string().trim().max(500).nullable().optional(),
    role: Role.exclude(["owner"]).optional(),
  })
  .refine((v) => Object.values(v).some((x) => x !== undefined), {
    message: "nothing to change: set name, description and/or role",
  });
export type UpdateServiceAccountRequest = z.infer<typeof UpdateServiceAccountRequest>;

export const ListServiceAccountsResponse = z.object({ service_accounts: z.array(ServiceAccount) });
