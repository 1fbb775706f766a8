import type { IntegrationKind } from "../kind.ts";
import { decideWebhook } from "./decide.ts";
import { WebhookCredentials, WebhookSettings } from "./settings.ts";
import { verifyStandardWebhook } from "./verify.ts";

/**
 * The generic inbound webhook (`type: webhook`): any system that signs per Standard Webhooks
 * starts runs; the payload becomes the prompt through the integration's template. The event type
 * is the payload's `type` field (Standard Webhooks' recommended envelope), else `webhook`.
 */
export const webhookKind: IntegrationKind<WebhookCredentials, WebhookSettings> = {
  type: "webhook",
  credentials: WebhookCredentials,
  settings: WebhookSettings,
  async verify({ headers, body, credentials, now }) {
    const secrets = [credentials.secret, credentials.previous_secret].filter(
      (s): s is string => !!s,
    );
    const verified = await verifyStandardWebhook({ headers, body, secrets, now });
    if (!verified.ok) return verified;
    return { ...verified, event: eventOf(body) };
  },
  decide: decideWebhook,
  generateCredentials: () => ({ secret: newWebhookSecret() }),
};

/** The payload's `type`, read only after the signature passed. */
function eventOf(body: Uint8Array): string {
  try {
    const type = (JSON.parse(new TextDecoder().decode(body)) as { type?: unknown })?.type;
    if (typeof type === "string" && /^[\w.:-]{1,100}$/.test(type)) return type;
  } catch {
    // a malformed body is the framework's to answer
  }
  return "webhook";
}

/** A fresh `whsec_` secret (32 random bytes), for an integration created without one. */
export function newWebhookSecret(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return `whsec_${btoa(String.fromCharCode(...bytes))}`;
}
