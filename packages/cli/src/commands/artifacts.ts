import { existsSync, writeFileSync } from "node:fs";
import path from "node:path";
import { CliError, type Command } from "../command.ts";
import { EXIT } from "../exit-codes.ts";
import { printJson, table } from "../output.ts";

const str = (v: unknown) => (typeof v === "string" ? v : "");

export const artifactList: Command = {
  path: ["artifact", "list"],
  summary: "List a run's artifacts: files it kept, pull requests, links",
  args: "<run-id>",
  minArgs: 1,
  maxArgs: 1,
  examples: ["ambit artifact list $RUN", "ambit artifact list $RUN --json | jq -r '.[].data.artifact_uid'"],
  async run({ positionals, client, io, json }) {
    const run = await client().agent.runs.retrieve(positionals[0]);
    const artifacts = run.artifacts ?? [];
    if (json) return printJson(io, artifacts), EXIT.OK;
    if (!artifacts.length) return io.err.write(`Run ${run.run_id} has no artifacts.\n`), EXIT.OK;
    const rows = artifacts.map((a) => {
      const d = a.data;
      const size = typeof d.size_bytes === "number" ? `${d.size_bytes} B` : "";
      return [str(d.artifact_uid) || "-", a.artifact_type, str(d.filepath) || str(d.url) || str(d.title), size, str(d.description)];
    });
    io.out.write(table(["UID", "TYPE", "FILE OR URL", "SIZE", "DESCRIPTION"], rows));
    if (io.err.isTTY && artifacts.some((a) => a.artifact_type === "FILE")) io.err.write("Download a file: ambit artifact download <uid>\n");
    return EXIT.OK;
  },
};

export const artifactGet: Command = {
  path: ["artifact", "get"],
  summary: "Show one artifact (a file's comes with a download link valid 10 minutes)",
  args: "<artifact-uid>",
  minArgs: 1,
  maxArgs: 1,
  examples: ["ambit artifact get $UID", "ambit artifact get $UID --json | jq -r .data.download_url"],
  async run({ positionals, client, io, json }) {
    const artifact = await client().agent.artifacts.retrieve(positionals[0]);
    if (json) return printJson(io, artifact), EXIT.OK;
    io.out.write(`${"Artifact:".padEnd(13)}${artifact.artifact_uid}\n${"Type:".padEnd(13)}${artifact.artifact_type}\n${"Created:".padEnd(13)}${artifact.created_at}\n`);
    for (const [k, v] of Object.entries(artifact.data)) io.out.write(`${`${k}:`.padEnd(13)}${typeof v === "string" ? v : JSON.stringify(v)}\n`);
    return EXIT.OK;
  },
};

export const artifactDownload: Command = {
  path: ["artifact", "download"],
  summary: "Save a file artifact: to its file name in this directory, or -o <path> (- for stdout)",
  args: "<artifact-uid>",
  minArgs: 1,
  maxArgs: 1,
  options: {
    out: { type: "string", short: "o", value: "<path>", description: "where to write it (default: its file name here; - for stdout)" },
    force: { type: "boolean", description: "replace a file that is already there" },
  },
  examples: ["ambit artifact download $UID", "ambit artifact download $UID -o /tmp/report.md", "ambit artifact download $UID -o - | less"],
  async run({ positionals, values, client, io, json }) {
    const file = await client().agent.artifacts.download(positionals[0]);
    const out = typeof values.out === "string" ? values.out : safeName(file.filename, positionals[0]);
    if (out === "-") return io.out.write(file.bytes), EXIT.OK;
    if (existsSync(out) && !values.force) {
      throw new CliError(`${out} already exists`, EXIT.ERROR, `choose another path with -o <path>, or replace it with --force`);
    }
    writeFileSync(out, file.bytes);
    if (json) printJson(io, { path: path.resolve(out), bytes: file.bytes.length, content_type: file.contentType });
    else io.err.write(`Saved ${out} (${file.bytes.length} bytes)\n`);
    return EXIT.OK;
  },
};

/** The artifact's own file name, when it is one (no directory part, not `.` or `..`); else its uid. */
function safeName(filename: string, uid: string) {
  const base = path.basename(filename);
  return base && base === filename && base !== "." && base !== ".." ? base : uid;
}
