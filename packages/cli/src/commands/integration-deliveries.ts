import { DeliveryOutcome, type IntegrationDeliveryItem } from "@ambit/protocol";
import { type Command, str, UsageError } from "../command.ts";
import { parseCount } from "../input.ts";
import { ago, clip, printJson, table } from "../output.ts";

const OUTCOMES: string[] = DeliveryOutcome.options;

export const integrationDeliveries: Command = {
  path: ["integration", "deliveries"],
  summary: "List an integration's deliveries, newest first, with what became of each",
  args: "<uid>",
  minArgs: 1,
  options: {
    outcome: { type: "string", value: `<${OUTCOMES.join("|")}>`, description: "only this outcome" },
    event: { type: "string", value: "<type>", description: "only this event type" },
    since: { type: "string", value: "<rfc3339>", description: "received at or after" },
    limit: { type: "string", value: "<n>", description: "how many (default 20; up to 1000)" },
  },
  examples: [
    "ambit integration deliveries $INTEGRATION",
    "ambit integration deliveries $INTEGRATION --outcome failed --json | jq -r '.deliveries[].reason'",
  ],
  async run({ positionals, values, client, io, json }) {
    const cmd = "ambit integration deliveries";
    const outcome = str(values.outcome);
    if (outcome && !OUTCOMES.includes(outcome))
      throw new UsageError(`--outcome must be one of ${OUTCOMES.join(", ")}`, cmd);
    const limit = str(values.limit) ? parseCount(str(values.limit)!, "--limit", cmd) : 20;
    const deliveries: IntegrationDeliveryItem[] = [];
    const pages = client().integrations.deliveries(positionals[0], {
      ...(outcome ? { outcome: outcome as DeliveryOutcome } : {}),
      ...(str(values.event) ? { event: str(values.event)! } : {}),
      ...(str(values.since) ? { since: str(values.since)! } : {}),
      limit: Math.min(limit, 100),
    });
    for await (const d of pages) {
      deliveries.push(d);
      if (deliveries.length >= Math.min(limit, 1000)) break;
    }
    if (json) return (printJson(io, { deliveries }), 0);
    if (!deliveries.length) return (io.out.write("No deliveries.\n"), 0);
    io.out.write(
      table(
        ["ID", "RECEIVED", "EVENT", "OUTCOME", "RUN", "REASON"],
        deliveries.map((d) => [
          d.id,
          ago(d.received_at),
          d.event,
          d.outcome,
          d.run_id ?? "-",
          clip(d.reason ?? "", 60),
        ]),
      ),
    );
    return 0;
  },
};

export const integrationRedeliver: Command = {
  path: ["integration", "redeliver"],
  summary: "Process a stored delivery again, as a new delivery (admin)",
  args: "<uid> <delivery-id>",
  minArgs: 2,
  examples: ["ambit integration redeliver $INTEGRATION $DELIVERY"],
  async run({ positionals, client, io, json }) {
    const d = await client().integrations.redeliver(positionals[0], positionals[1]);
    if (json) return (printJson(io, d), 0);
    io.out.write(`${d.id}\n`);
    io.err.write(`Queued again as delivery ${d.id}; see \`ambit integration deliveries\`.\n`);
    return 0;
  },
};
