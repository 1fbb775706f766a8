import type { RunAgentRequest } from "@ambit/protocol";
import type { Decision, IntegrationRecord, Thread } from "../kind.ts";
import { threadRunId } from "../threads.ts";
import { renderTemplate, textOf, valueAt } from "./template.ts";
import type { WebhookCredentials, WebhookFilter, WebhookSettings } from "./settings.ts";

/** Without a template of the integration's own, the run reads the whole payload. */
export const DEFAULT_TEMPLATE =
  "A webhook delivered this event. Do what it asks.\n\n```json\n{{payload}}\n```";

const MAX_METADATA_BYTES = 256;

function matches(f: WebhookFilter, payload: unknown): boolean {
  const v = valueAt(payload, f.path);
  if (f.exists !== undefined) return (v !== undefined) === f.exists;
  if (f.in !== undefined) return f.in.some((x) => x === v);
  return v === f.equals;
}

/** A metadata value within Oz's 256 bytes, cut on a character boundary. */
function metadataValue(value: unknown): string {
  let s = textOf(value).replace(/\0/g, "");
  while (new TextEncoder().encode(s).length > MAX_METADATA_BYTES) s = s.slice(0, -1);
  return s;
}

/**
 * What a verified generic webhook delivery asks for: nothing when a filter does not match; a
 * follow-up when its thread key names a thread that has a run; otherwise a run whose prompt is the
 * integration's template filled from the payload.
 */
export async function decideWebhook(input: {
  env: Env;
  integration: IntegrationRecord<WebhookCredentials, WebhookSettings>;
  delivery: { id: string; event: string; payload: unknown };
}): Promise<Decision> {
  const { integration, delivery } = input;
  const settings = integration.settings;
  const payload = delivery.payload;
  for (const f of settings.filters ?? [])
    if (!matches(f, payload)) return { kind: "ignore", reason: `filter: ${f.path} did not match` };
  const prompt = renderTemplate(integration.promptTemplate ?? DEFAULT_TEMPLATE, payload).trim();
  if (!prompt) return { kind: "ignore", reason: "the prompt template rendered empty" };

  const threadValue = settings.thread_key_path
    ? textOf(valueAt(payload, settings.thread_key_path))
    : "";
  const url = settings.url_path ? textOf(valueAt(payload, settings.url_path)) : "";
  const thread: Thread = {
    key: threadValue ? `webhook:${threadValue.slice(0, 200)}` : `webhook:delivery:${delivery.id}`,
    ...(/^https?:\/\/\S+$/.test(url) && url.length <= 2000 ? { url } : {}),
  };
  if (threadValue && (await threadRunId(input.env, integration.id, thread.key)))
    return { kind: "followup", thread, message: prompt, sender: `webhook ${delivery.event}` };

  const metadata: Record<string, string> = {};
  for (const [key, path] of Object.entries(settings.metadata ?? {})) {
    const value = metadataValue(valueAt(payload, path));
    if (value) metadata[key] = value;
  }
  const title = settings.title_template
    ? renderTemplate(settings.title_template, payload).trim().slice(0, 200)
    : "";
  const request: RunAgentRequest = { prompt, metadata, ...(title ? { title } : {}) };
  return { kind: "start_run", request, source: "API", thread };
}
