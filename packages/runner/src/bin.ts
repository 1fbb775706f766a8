#!/usr/bin/env node
// `ambit-runner host start --url <platform> --worker-id <id> [--capacity N] [--backend process|docker] [--workdir DIR]`
// The API key comes from AMBIT_API_KEY. SIGTERM/SIGINT drains (no new runs, the unstarted ones are
// handed back, the others finish); a second signal stops at once (runs in flight are cancelled).
import { realpathSync } from "node:fs";
import { homedir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { dockerAvailable } from "./backends/docker.ts";
import { startHost } from "./host.ts";

const USAGE = `usage: ambit-runner host start --url <platform> --worker-id <id> [--capacity N] [--backend process|docker] [--workdir DIR] [--label L ...]
  the API key (an admin's, or a service account's) is read from AMBIT_API_KEY`;

function die(message: string, code = 2): never {
  process.stderr.write(`${message}\n`);
  process.exit(code);
}

export async function main(argv: string[]) {
  const [noun, verb, ...rest] = argv;
  if (noun !== "host" || verb !== "start") die(USAGE);
  let values;
  try {
    ({ values } = parseArgs({
      args: rest,
      options: {
        url: { type: "string" },
        "worker-id": { type: "string" },
        capacity: { type: "string", default: "1" },
        backend: { type: "string", default: "process" },
        workdir: { type: "string" },
        label: { type: "string", multiple: true },
      },
    }));
  } catch (err) {
    die(`${(err as Error).message}\n${USAGE}`);
  }
  const url = values.url ?? process.env.AMBIT_BASE_URL;
  const workerId = values["worker-id"];
  const apiKey = process.env.AMBIT_API_KEY;
  const capacity = Number(values.capacity);
  if (!url) die(`--url is required (or set AMBIT_BASE_URL)\n${USAGE}`);
  if (!workerId) die(`--worker-id is required\n${USAGE}`);
  if (!apiKey) die("AMBIT_API_KEY is not set: create an API key (admin role) and export AMBIT_API_KEY=<key>");
  if (!Number.isInteger(capacity) || capacity < 1 || capacity > 1000) die(`--capacity must be a whole number from 1 to 1000, not '${values.capacity}'`);
  if (values.backend !== "process" && values.backend !== "docker") die(`--backend must be 'process' or 'docker', not '${values.backend}'`);
  if (values.backend === "docker") {
    const docker = await dockerAvailable();
    if (!docker.ok) die(`cannot use --backend docker: ${docker.message}`, 1);
  }
  const workdir = path.resolve(values.workdir ?? path.join(homedir(), ".ambit", "runner"));

  const host = startHost({ url, apiKey, workerId, capacity, backend: values.backend, workdir, labels: values.label ?? [] });
  host.ready.then(
    () => process.stderr.write(`ambit runner: connected to ${url} as worker ${workerId} (capacity ${capacity}, ${values.backend} backend, workdir ${workdir})\n`),
    (err: Error) => die(`ambit runner: ${err.message}`, 1),
  );
  let signals = 0;
  const onSignal = (sig: string) => {
    signals++;
    if (signals === 1) {
      process.stderr.write(`ambit runner: ${sig}: draining (no new runs; running ones finish). Send it again to stop now.\n`);
      void host.drain().then(() => process.exit(0));
    } else {
      process.stderr.write(`ambit runner: ${sig} again: cancelling the runs in flight\n`);
      void host.stop().then(() => process.exit(0));
    }
  };
  process.on("SIGTERM", () => onSignal("SIGTERM"));
  process.on("SIGINT", () => onSignal("SIGINT"));
}

// run as a program (also through an npm bin symlink), not when imported
if (process.argv[1] && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href) await main(process.argv.slice(2));
