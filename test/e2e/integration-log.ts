// An integration's delivery log as the e2e tests of its kinds read it (GitHub, Linear).
import { expect } from "vitest";
import { api, type E2eServer, type Json, waitFor } from "./helpers.ts";

/** The integration's deliveries, newest first (`query`: more filters, e.g. `&outcome=rejected`). */
export const deliveriesOf = async (s: E2eServer, uid: string, query = "") =>
  (
    await api(s.url, "GET", `/api/v1/integrations/${uid}/deliveries?limit=100${query}`, {
      key: s.key,
    })
  ).json.deliveries as Json[];

/** Waits until the delivery the sender called `deliveryId` is processed; returns its row. */
export async function processedDelivery(
  s: E2eServer,
  uid: string,
  deliveryId: string,
  timeoutMs = 20_000,
): Promise<Json> {
  let row: Json | undefined;
  const ok = await waitFor(
    async () => {
      row = (await deliveriesOf(s, uid)).find((d) => d.delivery_id === deliveryId);
      return !!row && row.outcome !== "received";
    },
    timeoutMs,
    200,
  );
  expect(ok, `delivery ${deliveryId}: ${JSON.stringify(row)}`).toBe(true);
  return row!;
}

/** The team's runs (first page of 100). */
export const runsOf = async (s: E2eServer) =>
  (await api(s.url, "GET", "/api/v1/agent/runs?limit=100", { key: s.key })).json.runs as Json[];
