import { z } from "zod";
import { AgentConfigInput, AmbientAgentConfig } from "./agent-config.ts";
import { boundedJson } from "./bounds.ts";
import { PageInfo, Timestamp, UserProfile } from "./common.ts";
import { DELIVERY_OUTCOMES, INTEGRATION_TYPES } from "./integration-enums.ts";

/** The kinds of integration this server knows. */
export const IntegrationType = z.enum(INTEGRATION_TYPES);
export type IntegrationType = z.infer<typeof IntegrationType>;

/** What became of one delivery an integration received (integration-enums.ts says each). */
export const DeliveryOutcome = z.enum(DELIVERY_OUTCOMES);
export type DeliveryOutcome = z.infer<typeof DeliveryOutcome>;

const SETTINGS_BOUNDS = { maxDepth: 8, maxBytes: 64 * 1024 };
const Name = z.string().trim().min(1, "name may not be empty").max(200);
const Settings = z
  .record(z.string(), z.unknown())
  .superRefine(boundedJson(SETTINGS_BOUNDS))
  .describe("the kind's triggers, filters and maps (docs/integrations.md); checked by the kind");
const Credentials = z
  .record(z.string(), z.unknown())
  .superRefine(boundedJson(SETTINGS_BOUNDS))
  .describe("write-only: sealed with the team's key and never returned");
const PromptTemplate = z
  .string()
  .max(100_000)
  .describe("the run's prompt, with `{{payload.path}}` placeholders filled from the delivery");

export const CreateIntegrationRequest = z.object({
  type: IntegrationType,
  name: Name,
  enabled: z.boolean().optional().describe("default true"),
  credentials: Credentials.optional().describe(
    "write-only. A `webhook` integration without `secret` gets a generated `whsec_` secret, shown once in this response",
  ),
  settings: Settings.optional(),
  run_defaults: AgentConfigInput.optional().describe(
    "the agent_config its runs start from (environment, model, named agent, host pool, sharing): the trigger layer of configuration resolution",
  ),
  prompt_template: PromptTemplate.nullable().optional(),
});
export type CreateIntegrationRequest = z.infer<typeof CreateIntegrationRequest>;

/** `PATCH`: only the fields given change; `credentials` fields given replace those stored, `null` removes one. */
export const UpdateIntegrationRequest = z.object({
  name: Name.optional(),
  enabled: z.boolean().optional(),
  credentials: Credentials.optional(),
  settings: Settings.optional(),
  run_defaults: AgentConfigInput.optional(),
  prompt_template: PromptTemplate.nullable().optional(),
});
export type UpdateIntegrationRequest = z.infer<typeof UpdateIntegrationRequest>;

export const IntegrationItem = z.object({
  uid: z.string(),
  type: IntegrationType,
  name: z.string(),
  enabled: z.boolean(),
  inbound_url: z.string().describe("where the sender posts its deliveries (signed: no API key)"),
  credentials: z
    .record(z.string(), z.boolean())
    .describe("which credential fields are set (`true`); their values are never returned"),
  settings: z.record(z.string(), z.unknown()),
  run_defaults: AmbientAgentConfig,
  prompt_template: z.string().nullable(),
  created_by: UserProfile,
  updated_by: UserProfile.describe("whom its runs act as: whoever last configured it"),
  created_at: Timestamp,
  updated_at: Timestamp,
});
export type IntegrationItem = z.infer<typeof IntegrationItem>;

/** The answer to a create: the item, and once only, any credential the server generated. */
export const CreateIntegrationResponse = IntegrationItem.extend({
  generated_credentials: z
    .record(z.string(), z.string())
    .optional()
    .describe("shown only in this response: store it in the sender now"),
});
export type CreateIntegrationResponse = z.infer<typeof CreateIntegrationResponse>;

export const ListIntegrationsResponse = z.object({ integrations: z.array(IntegrationItem) });
export type ListIntegrationsResponse = z.infer<typeof ListIntegrationsResponse>;

export const DeleteIntegrationResponse = z.object({ uid: z.string(), deleted: z.literal(true) });
export type DeleteIntegrationResponse = z.infer<typeof DeleteIntegrationResponse>;

export const IntegrationDeliveryItem = z.object({
  id: z.string(),
  integration_uid: z.string(),
  delivery_id: z
    .string()
    .nullable()
    .describe("the sender's id (`webhook-id`, `X-GitHub-Delivery`)"),
  event: z.string(),
  outcome: DeliveryOutcome,
  reason: z
    .string()
    .nullable()
    .describe("why it was ignored or rejected, or the error it failed with"),
  run_id: z.string().nullable(),
  redelivery_of: z.string().nullable(),
  thread_key: z.string().nullable(),
  payload_available: z.boolean().describe("whether its payload is still stored (30 days)"),
  received_at: Timestamp,
  processed_at: Timestamp.nullable(),
});
export type IntegrationDeliveryItem = z.infer<typeof IntegrationDeliveryItem>;

export const ListIntegrationDeliveriesQuery = z.object({
  outcome: DeliveryOutcome.optional(),
  event: z.string().max(200).optional(),
  since: z.iso.datetime({ offset: true }).optional().describe("received at or after (RFC 3339)"),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().max(500).optional(),
});
export type ListIntegrationDeliveriesQuery = z.infer<typeof ListIntegrationDeliveriesQuery>;

export const ListIntegrationDeliveriesResponse = z.object({
  deliveries: z.array(IntegrationDeliveryItem),
  page_info: PageInfo,
});
export type ListIntegrationDeliveriesResponse = z.infer<typeof ListIntegrationDeliveriesResponse>;

/** The inbound URL's answer: the delivery was recorded (202), or was a repeat (200). */
export const InboundDeliveryResponse = z.object({
  delivery_id: z.string().describe("the id of the recorded delivery (GET .../deliveries)"),
  duplicate: z.boolean().optional(),
});
export type InboundDeliveryResponse = z.infer<typeof InboundDeliveryResponse>;

/** A one-time code a member types in the integration's tool to link their account there to them. */
export const IntegrationLinkCode = z.object({
  code: z.string().describe("shown once; single use"),
  expires_at: z.string().describe("RFC 3339; codes live 10 minutes"),
  instructions: z.string().describe("what to type where, e.g. `/ambit link <code>` in Slack"),
});
export type IntegrationLinkCode = z.infer<typeof IntegrationLinkCode>;

/** Where an admin installs the integration's app with OAuth (Slack's OAuth v2). */
export const IntegrationInstallLink = z.object({
  url: z
    .string()
    .describe("the vendor's authorize page, with a signed state; open it in a browser"),
  expires_at: z.string().describe("RFC 3339; links live 10 minutes and work once"),
});
export type IntegrationInstallLink = z.infer<typeof IntegrationInstallLink>;

/** Message on the `INTEGRATIONS` queue: one recorded delivery to process. */
export const IntegrationDeliveryMessage = z.object({
  delivery_id: z.string(),
  integration_id: z.string(),
  team_id: z.string(),
  /**
   * the payload as the kind reads it (JSON text), carried here when small so the inbound answer
   * writes nothing to R2; the consumer stores it (absent: it is in R2 already)
   */
  payload: z.string().optional(),
});
export type IntegrationDeliveryMessage = z.infer<typeof IntegrationDeliveryMessage>;
