import { existsSync, writeFileSync } from "node:fs";
import path from "node:path";
import { CliError, type Command } from "../command.ts";
import { EXIT } from "../exit-codes.ts";
import { printJson, table } from "../output.ts";

const str = (v: unknown) => (typeof v === "string" ? v : "");
const field = (k: string, v: string) => `${`${k}:`.padEnd(13)}${v}\n`;

export const artifactList: Command = {
  path: ["artifact", "list"],
  summary: "List a run's artifacts: files it kept, pull requests, links",
  args: "<run-id>",
  minArgs: 1,
  maxArgs: 1,
  examples: [
    "ambit artifact list $RUN",
    "ambit artifact list $RUN --json | jq -r '.[].data.artifact_uid'",
  ],
  async run({ positionals, client, io, json }) {
    const run = await client().agent.runs.retrieve(positionals[0]);
    const artifacts = run.artifacts ?? [];
    if (json) return (printJson(io, artifacts), EXIT.OK);
    if (!artifacts.length) return (io.err.write(`Run ${run.run_id} has no artifacts.\n`), EXIT.OK);
    const rows = artifacts.map(({ artifact_type, data: d }) => {
      const size = typeof d.size_bytes === "number" ? `${d.size_bytes} B` : "";
      const what = str(d.filepath) || str(d.url) || str(d.title);
      return [str(d.artifact_uid) || "-", artifact_type, what, size, str(d.description)];
    });
    io.out.write(table(["UID", "TYPE", "FILE OR URL", "SIZE", "DESCRIPTION"], rows));
    const files = artifacts.some((a) => a.artifact_type === "FILE");
    if (io.err.isTTY && files) io.err.write("Download a file: ambit artifact download <uid>\n");
    return EXIT.OK;
  },
};

export const artifactGet: Command = {
  path: ["artifact", "get"],
  summary: "Show one artifact (a file's comes with a download link valid 10 minutes)",
  args: "<artifact-uid>",
  minArgs: 1,
  maxArgs: 1,
  examples: [
    "ambit artifact get $UID",
    "ambit artifact get $UID --json | jq -r .data.download_url",
  ],
  async run({ positionals, client, io, json }) {
    const a = await client().agent.artifacts.retrieve(positionals[0]);
    if (json) return (printJson(io, a), EXIT.OK);
    io.out.write(field("Artifact", a.artifact_uid) + field("Type", a.artifact_type));
    io.out.write(field("Created", a.created_at));
    for (const [k, v] of Object.entries(a.data)) {
      io.out.write(field(k, typeof v === "string" ? v : JSON.stringify(v)));
    }
    return EXIT.OK;
  },
};

export const artifactDownload: Command = {
  path: ["artifact", "download"],
  summary: "Save a file artifact: under its name here, or -o <path> (- for stdout)",
  args: "<artifact-uid>",
  minArgs: 1,
  maxArgs: 1,
  options: {
    out: {
      type: "string",
      short: "o",
      value: "<path>",
      description: "where to write it (default: its file name here; - for stdout)",
    },
    force: { type: "boolean", description: "replace a file that is already there" },
  },
  examples: [
    "ambit artifact download $UID",
    "ambit artifact download $UID -o /tmp/report.md",
    "ambit artifact download $UID -o - | less",
  ],
  async run({ positionals, values, client, io, json }) {
    const file = await client().agent.artifacts.download(positionals[0]);
    const uid = positionals[0];
    const out = typeof values.out === "string" ? values.out : safeName(file.filename, uid);
    if (out === "-") return (io.out.write(file.bytes), EXIT.OK);
    if (existsSync(out) && !values.force) {
      const fix = "choose another path with -o <path>, or replace it with --force";
      throw new CliError(`${out} already exists`, EXIT.ERROR, fix);
    }
    writeFileSync(out, file.bytes);
    const bytes = file.bytes.length;
    if (json) printJson(io, { path: path.resolve(out), bytes, content_type: file.contentType });
    else io.err.write(`Saved ${out} (${bytes} bytes)\n`);
    return EXIT.OK;
  },
};

/** The artifact's own file name when it is one (no directory, not `.` or `..`), else its uid. */
function safeName(filename: string, uid: string) {
  const base = path.basename(filename);
  return base && base === filename && base !== "." && base !== ".." ? base : uid;
}
