import type {
  AmbientAgentConfig,
  IntegrationDeliveryItem,
  IntegrationItem,
  IntegrationType,
} from "@ambit/protocol";
import type { integrationDeliveries, integrations } from "../../db/schema.ts";
import { iso, isoOrNull } from "../../lib/time.ts";
import type { Thread } from "../../integrations/kind.ts";
import { type Person, profile } from "../schedules/schedule-item.ts";

export type IntegrationRow = typeof integrations.$inferSelect;
export type DeliveryRow = typeof integrationDeliveries.$inferSelect;

/** The public inbound URL of an integration (no key: the sender's signature is the credential). */
export const inboundUrl = (baseUrl: string, id: string) =>
  `${baseUrl}/api/v1/integrations/${id}/events`;

/** The one place that decides what of an integration is public: never a credential's value. */
export function toIntegrationItem(
  row: IntegrationRow,
  people: { creator: Person; editor: Person },
  baseUrl: string,
): IntegrationItem {
  return {
    uid: row.id,
    type: row.type as IntegrationType,
    name: row.name,
    enabled: row.enabled,
    inbound_url: inboundUrl(baseUrl, row.id),
    credentials: Object.fromEntries((row.credentialFields as string[]).map((f) => [f, true])),
    settings: row.settings as Record<string, unknown>,
    run_defaults: row.runDefaults as AmbientAgentConfig,
    prompt_template: row.promptTemplate,
    created_by: profile(row.createdByType, row.createdById, people.creator),
    updated_by: profile(row.updatedByType, row.updatedById, people.editor),
    created_at: iso(row.createdAt),
    updated_at: iso(row.updatedAt),
  };
}

export function toDeliveryItem(row: DeliveryRow): IntegrationDeliveryItem {
  return {
    id: row.id,
    integration_uid: row.integrationId,
    delivery_id: row.senderDeliveryId,
    event: row.event,
    outcome: row.outcome,
    reason: row.reason,
    run_id: row.runId,
    redelivery_of: row.redeliveryOf,
    thread_key: (row.thread as Thread | null)?.key ?? null,
    payload_available: row.payloadKey !== null,
    received_at: iso(row.receivedAt),
    processed_at: isoOrNull(row.processedAt),
  };
}
