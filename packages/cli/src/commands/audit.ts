import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";
import { type AuditEntry, verifyAuditChain } from "@ambit/protocol";
import type { AuditLogListParams } from "@ambit/sdk";
import { type Command, str, UsageError } from "../command.ts";
import { EXIT } from "../exit-codes.ts";
import { clip, printJson, table } from "../output.ts";

// `ambit audit …`: the team's audit log (admins). `verify` re-computes the hash chain here, on
// this machine, from the export (or a saved one): the server is not trusted to say it is intact.

const describeActor = (e: AuditEntry) => `${e.actor.type}:${e.actor.name ?? e.actor.id}`;
const describeTarget = (e: AuditEntry) =>
  e.target.id ? `${e.target.type ?? "?"}:${e.target.id}` : (e.target.type ?? "-");

export const auditList: Command = {
  path: ["audit", "list"],
  summary: "List audit entries, newest first (admins)",
  options: {
    actor: {
      type: "string",
      value: "<id>",
      description: "an actor id, or the member a key acts for",
    },
    action: {
      type: "string",
      value: "<action>",
      description: "an action (member.update), or a prefix ending in a dot (api_key.)",
    },
    target: { type: "string", value: "<id>", description: "a target id" },
    from: { type: "string", value: "<time>", description: "at or after (RFC 3339)" },
    to: { type: "string", value: "<time>", description: "before (RFC 3339)" },
    limit: { type: "string", value: "<n>", description: "how many (1-200, default 50)" },
    cursor: { type: "string", value: "<cursor>", description: "the next page (from --json)" },
  },
  examples: ["ambit audit list --action member.", "ambit audit list --actor $MEMBER --json"],
  async run({ values, client, io, json }) {
    const limit = str(values.limit);
    if (limit !== undefined && !/^\d+$/.test(limit))
      throw new UsageError("--limit wants a whole number", "ambit audit list");
    const query: AuditLogListParams = {};
    for (const k of ["actor", "action", "target", "from", "to", "cursor"] as const) {
      const v = str(values[k]);
      if (v !== undefined) query[k] = v;
    }
    if (limit) query.limit = Number(limit);
    const page = await client().auditLog.list(query);
    if (json) return (printJson(io, page), 0);
    io.out.write(
      table(
        ["SEQ", "TIME", "ACTOR", "ACTION", "TARGET", "CHANGES"],
        page.entries.map((e) => [
          String(e.seq),
          e.at,
          clip(describeActor(e), 40),
          e.action,
          clip(describeTarget(e), 40),
          e.changes ? clip(Object.keys(e.changes).join(","), 40) : "-",
        ]),
      ),
    );
    if (page.page_info.next_cursor) io.err.write(`More: --cursor ${page.page_info.next_cursor}\n`);
    return 0;
  },
};

export const auditExport: Command = {
  path: ["audit", "export"],
  summary: "Write the whole audit chain as NDJSON, oldest first, archived entries included",
  examples: ["ambit audit export > audit.ndjson"],
  async run({ client, io }) {
    for await (const entry of client().auditLog.export())
      io.out.write(`${JSON.stringify(entry)}\n`);
    return 0;
  },
};

/** Entries of a saved NDJSON export (`-`: stdin), one at a time. */
async function* fromFile(file: string, stdin: NodeJS.ReadableStream): AsyncGenerator<AuditEntry> {
  const input = file === "-" ? stdin : createReadStream(file, "utf8");
  for await (const line of createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY }))
    if (line.trim()) yield JSON.parse(line) as AuditEntry;
}

export const auditVerify: Command = {
  path: ["audit", "verify"],
  summary: "Re-compute the audit hash chain here and name the first broken entry",
  description:
    "Reads the export (or --file, a saved one) and checks every entry: its hash re-computed " +
    "from its canonical JSON, its prev_hash the previous entry's hash, seq without gaps. " +
    `Exits ${EXIT.CHAIN_BROKEN} on a break, naming the entry and what did not match.`,
  options: {
    file: { type: "string", value: "<path>", description: "a saved export (`-` for stdin)" },
  },
  examples: [
    "ambit audit verify",
    "ambit audit export > a.ndjson && ambit audit verify --file a.ndjson",
  ],
  async run({ values, client, io, json }) {
    const file = str(values.file);
    const entries = file ? fromFile(file, io.stdin) : client().auditLog.export();
    const { count, last, broken } = await verifyAuditChain(entries);
    if (json) printJson(io, { ok: !broken, verified: count, head: last?.hash ?? null, broken });
    else if (broken)
      io.err.write(`Broken at seq ${broken.seq} (entry ${broken.id}): ${broken.problem}\n`);
    else
      io.out.write(
        `OK: ${count} entries verified; head seq ${last?.seq ?? 0} ${last?.hash ?? ""}\n`,
      );
    return broken ? EXIT.CHAIN_BROKEN : EXIT.OK;
  },
};
