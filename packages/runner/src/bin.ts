#!/usr/bin/env node
// `ambit-runner host start --url <platform> --worker-id <id> [--capacity N] [--backend process|docker] [--docker-image IMAGE] [--workdir DIR] [--agent-user NAME] [--allow-local-repos] [--checkpoint-interval SECONDS] [--once]`
// The API key comes from AMBIT_API_KEY. SIGTERM/SIGINT drains (no new runs, the unstarted ones are
// handed back, the others finish); a second signal stops at once (runs in flight are cancelled).
import { realpathSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { serveHost, serveProblems } from "./serve.ts";

const USAGE = `usage: ambit-runner host start --url <platform> --worker-id <id> [--capacity N] [--backend process|docker] [--docker-image IMAGE] [--workdir DIR] [--label L ...] [--agent-user NAME] [--allow-local-repos] [--checkpoint-interval SECONDS] [--once]
  --docker-image: with --backend docker, the image of runs whose environment names none (default ubuntu:24.04)
  --agent-user: with --backend process and a root runner, run every process of a run as this unprivileged user,
    so nothing a run starts can read the runner's key (its environment, /proc/<runner>/environ)
  --allow-local-repos: let runs clone (and push to) local paths and file:// URLs, i.e. this machine's disk (tests)
  --checkpoint-interval: how often a working run's workspace and conversation are checkpointed
    (default 300; 0: only when a turn ends and when a run stops)
  --once: serve one run, then exit (a runner container the platform starts per run)
  the key is read from AMBIT_API_KEY: a host key for this pool (ambit api-key create <name> --scope hosts:connect
    --pool <worker-id>), which joins its pools and calls nothing else; an admin key works too`;

function die(message: string, code = 2): never {
  process.stderr.write(`${message}\n`);
  process.exit(code);
}

export async function main(argv: string[]) {
  const [noun, verb, ...rest] = argv;
  if (noun !== "host" || verb !== "start") die(USAGE);
  const parse = (args: string[]) =>
    parseArgs({
      args,
      options: {
        url: { type: "string" },
        "worker-id": { type: "string" },
        capacity: { type: "string", default: "1" },
        backend: { type: "string", default: "process" },
        "docker-image": { type: "string" },
        workdir: { type: "string" },
        label: { type: "string", multiple: true },
        once: { type: "boolean", default: false },
        "agent-user": { type: "string" },
        "allow-local-repos": { type: "boolean", default: false },
        "checkpoint-interval": { type: "string" },
      },
    });
  let values: ReturnType<typeof parse>["values"];
  try {
    ({ values } = parse(rest));
  } catch (err) {
    die(`${(err as Error).message}\n${USAGE}`);
  }
  const url = values.url ?? process.env.AMBIT_BASE_URL;
  const apiKey = process.env.AMBIT_API_KEY;
  const capacity = Number(values.capacity);
  const interval = values["checkpoint-interval"];
  if (interval !== undefined && !/^\d+$/.test(interval))
    die(`--checkpoint-interval takes a whole number of seconds (0: off)\n${USAGE}`);
  if (!url) die(`--url is required (or set AMBIT_BASE_URL)\n${USAGE}`);
  if (!apiKey)
    die(
      "AMBIT_API_KEY is not set: mint a host key (ambit api-key create <name> --scope hosts:connect --pool <worker-id>) and export AMBIT_API_KEY=<key>",
    );
  // held by the host from here on; nothing that copies process.env (a docker CLI's) carries it along
  delete process.env.AMBIT_API_KEY;
  const problems = serveProblems({
    workerId: values["worker-id"],
    capacity,
    backend: values.backend!,
    agentUser: values["agent-user"],
  });
  if (problems.length) die(`${problems.join("\n")}\n${USAGE}`);
  try {
    process.exit(
      await serveHost({
        url,
        apiKey,
        workerId: values["worker-id"]!,
        capacity,
        backend: values.backend as "process" | "docker",
        dockerImage: values["docker-image"],
        workdir: values.workdir,
        labels: values.label ?? [],
        once: values.once,
        agentUser: values["agent-user"],
        allowLocalRepos: values["allow-local-repos"],
        checkpointIntervalMs: interval === undefined ? undefined : Number(interval) * 1000,
      }),
    );
  } catch (err) {
    die(`ambit runner: ${(err as Error).message}`, 1);
  }
}

// run as a program (also through an npm bin symlink), not when imported
if (process.argv[1] && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href)
  await main(process.argv.slice(2));
