import { WebhookEventType } from "@ambit/protocol";
import type { WebhookDeliveryItem, WebhookItem, WebhookUpdateParams } from "@ambit/sdk";
import { type Command, type OptionSpec, str, strs, UsageError } from "../command.ts";
import { ago, printJson, table } from "../output.ts";

// `ambit webhook …`: outbound webhooks (admins). One file for the noun: each verb is a few lines.

const EVENTS = WebhookEventType.options;
const eventOption: OptionSpec = {
  type: "string",
  multiple: true,
  value: "<type>",
  description: `an event type to send (repeatable, or comma-separated): ${EVENTS.join(", ")}`,
};
const eventTypes = (v: unknown) =>
  strs(v as string[] | undefined).flatMap((e) =>
    e
      .split(",")
      .map((x) => x.trim())
      .filter(Boolean),
  );

function describeWebhook(w: WebhookItem): string {
  const rows = [
    ["UID", w.uid],
    ["URL", w.url],
    ["Events", w.event_types.join(", ")],
    ["Enabled", w.enabled ? "yes" : `no${w.disabled_reason ? ` (${w.disabled_reason})` : ""}`],
    ["Failing since", w.failing_since ?? "-"],
    ["Description", w.description ?? "-"],
    ["Updated", `${w.updated_at} by ${w.updated_by}`],
  ];
  return `${rows.map(([k, v]) => `${k.padEnd(14)}${v}`).join("\n")}\n`;
}

export const webhookList: Command = {
  path: ["webhook", "list"],
  summary: "List the team's outbound webhooks (admins)",
  examples: ["ambit webhook list", "ambit webhook list --json"],
  async run({ client, io, json }) {
    const { webhooks } = await client().webhooks.list();
    if (json) return (printJson(io, { webhooks }), 0);
    io.out.write(
      table(
        ["UID", "URL", "EVENTS", "ENABLED"],
        webhooks.map((w) => [w.uid, w.url, w.event_types.join(","), w.enabled ? "yes" : "no"]),
      ),
    );
    return 0;
  },
};

export const webhookCreate: Command = {
  path: ["webhook", "create"],
  summary: "Create an outbound webhook; its whsec_ signing secret is shown once",
  args: "<url>",
  minArgs: 1,
  maxArgs: 1,
  options: {
    event: eventOption,
    description: { type: "string", value: "<text>", description: "what it is for" },
    disabled: { type: "boolean", description: "create it disabled" },
  },
  examples: [
    "ambit webhook create https://ci.example.com/ambit --event run.completed",
    "ambit webhook create https://hooks.example.com/x --event run.created,run.completed --json",
  ],
  async run({ positionals, values, client, io, json }) {
    const events = eventTypes(values.event);
    if (!events.length)
      throw new UsageError("name at least one event type with --event", "ambit webhook create");
    const created = await client().webhooks.create({
      url: positionals[0],
      event_types: events as WebhookItem["event_types"],
      ...(str(values.description) ? { description: str(values.description) } : {}),
      ...(values.disabled ? { enabled: false } : {}),
    });
    if (json) return (printJson(io, created), 0);
    io.out.write(`${created.secret}\n`);
    io.err.write(
      `Created webhook ${created.uid} for ${created.url}. The line above is its signing secret: ` +
        "store it now, it is not shown again.\n",
    );
    return 0;
  },
};

export const webhookGet: Command = {
  path: ["webhook", "get"],
  summary: "Show an outbound webhook",
  args: "<uid>",
  minArgs: 1,
  maxArgs: 1,
  examples: ["ambit webhook get $UID"],
  async run({ positionals, client, io, json }) {
    const hook = await client().webhooks.get(positionals[0]);
    if (json) return (printJson(io, hook), 0);
    io.out.write(describeWebhook(hook));
    return 0;
  },
};

export const webhookUpdate: Command = {
  path: ["webhook", "update"],
  summary: "Change an outbound webhook; --enable turns a disabled one on again",
  args: "<uid>",
  minArgs: 1,
  maxArgs: 1,
  options: {
    url: { type: "string", value: "<url>", description: "a new destination" },
    event: { ...eventOption, description: "replace its event types (repeatable)" },
    description: { type: "string", value: "<text>", description: "a new description" },
    enable: { type: "boolean", description: "enable it (clears why it was disabled)" },
    disable: { type: "boolean", description: "disable it" },
  },
  examples: [
    "ambit webhook update $UID --enable",
    "ambit webhook update $UID --event run.completed",
  ],
  async run({ positionals, values, client, io, json }) {
    if (values.enable && values.disable)
      throw new UsageError("--enable and --disable contradict each other", "ambit webhook update");
    const body: WebhookUpdateParams = {};
    if (str(values.url)) body.url = str(values.url);
    const events = eventTypes(values.event);
    if (events.length) body.event_types = events as WebhookItem["event_types"];
    if (str(values.description) !== undefined) body.description = str(values.description);
    if (values.enable) body.enabled = true;
    if (values.disable) body.enabled = false;
    if (!Object.keys(body).length)
      throw new UsageError("nothing to change: give an option", "ambit webhook update");
    const hook = await client().webhooks.update(positionals[0], body);
    if (json) return (printJson(io, hook), 0);
    io.out.write(describeWebhook(hook));
    return 0;
  },
};

export const webhookDelete: Command = {
  path: ["webhook", "delete"],
  summary: "Delete an outbound webhook and its deliveries",
  args: "<uid>",
  minArgs: 1,
  maxArgs: 1,
  examples: ["ambit webhook delete $UID"],
  async run({ positionals, client, io, json }) {
    await client().webhooks.delete(positionals[0]);
    if (json) return (printJson(io, { deleted: positionals[0] }), 0);
    io.err.write(`Deleted webhook ${positionals[0]}.\n`);
    return 0;
  },
};

const deliveryLine = (d: WebhookDeliveryItem) => {
  const last = d.attempts[0];
  const answer = last ? (last.http_status ?? last.error ?? "-") : "-";
  return [d.id, d.event_type, d.status, String(d.attempt_count), String(answer), ago(d.updated_at)];
};

export const webhookTest: Command = {
  path: ["webhook", "test"],
  summary: "Send a webhook.test event to an endpoint (recorded as a delivery)",
  args: "<uid>",
  minArgs: 1,
  maxArgs: 1,
  examples: ["ambit webhook test $UID", "ambit webhook deliveries $UID"],
  async run({ positionals, client, io, json }) {
    const delivery = await client().webhooks.test(positionals[0]);
    if (json) return (printJson(io, delivery), 0);
    io.out.write(`${delivery.id}\n`);
    io.err.write(
      `Queued event ${delivery.event_id}; see how it went: ambit webhook deliveries ${positionals[0]}\n`,
    );
    return 0;
  },
};

export const webhookDeliveries: Command = {
  path: ["webhook", "deliveries"],
  summary: "List an endpoint's deliveries, newest first, with their last answer",
  args: "<uid>",
  minArgs: 1,
  maxArgs: 1,
  options: {
    status: {
      type: "string",
      value: "<status>",
      description: "only pending, succeeded, failed or gave_up",
    },
    limit: { type: "string", value: "<n>", description: "how many (1-100, default 20)" },
    cursor: { type: "string", value: "<cursor>", description: "the next page (from --json)" },
  },
  examples: [
    "ambit webhook deliveries $UID --status gave_up",
    "ambit webhook deliveries $UID --json",
  ],
  async run({ positionals, values, client, io, json }) {
    const limit = str(values.limit);
    if (limit !== undefined && !/^\d+$/.test(limit))
      throw new UsageError("--limit wants a whole number", "ambit webhook deliveries");
    const page = await client().webhooks.deliveries(positionals[0], {
      ...(str(values.status)
        ? { status: str(values.status) as WebhookDeliveryItem["status"] }
        : {}),
      ...(limit ? { limit: Number(limit) } : {}),
      ...(str(values.cursor) ? { cursor: str(values.cursor) } : {}),
    });
    if (json) return (printJson(io, page), 0);
    io.out.write(
      table(
        ["ID", "EVENT", "STATUS", "ATTEMPTS", "LAST ANSWER", "UPDATED"],
        page.deliveries.map(deliveryLine),
      ),
    );
    if (page.page_info.next_cursor) io.err.write(`More: --cursor ${page.page_info.next_cursor}\n`);
    return 0;
  },
};

export const webhookResend: Command = {
  path: ["webhook", "resend"],
  summary: "Send a delivery again (same webhook-id, a new series of attempts)",
  args: "<uid> <delivery-id>",
  minArgs: 2,
  maxArgs: 2,
  examples: ["ambit webhook resend $UID $DELIVERY"],
  async run({ positionals, client, io, json }) {
    const delivery = await client().webhooks.resend(positionals[0], positionals[1]);
    if (json) return (printJson(io, delivery), 0);
    io.err.write(`Queued delivery ${delivery.id} again (event ${delivery.event_id}).\n`);
    return 0;
  },
};
