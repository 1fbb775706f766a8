import { type Command, CliError, str, strs, UsageError } from "../command.ts";
import { EXIT } from "../exit-codes.ts";

export const hostStart: Command = {
  path: ["host", "start"],
  summary: "Run agents on this machine: serve a host pool of your team until Ctrl-C",
  description:
    "Connects this machine to the team's host pool named by --worker-id and runs what it is assigned: clones the run's\n" +
    "environment, runs its setup commands and agent harness, and streams everything to the run's session. Runs with\n" +
    "config.worker_host=<worker-id> go to this pool; `warp` is the team's platform pool. The key (AMBIT_API_KEY or\n" +
    "`ambit login`) is a host key for the pool (`ambit api-key create <name> --scope hosts:connect --pool <worker-id>`,\n" +
    "it can do nothing else) or an admin's key. Ctrl-C (or SIGTERM) drains: no new runs, the unstarted ones are handed\n" +
    "back, the running ones finish; a second Ctrl-C cancels them.",
  options: {
    "worker-id": {
      type: "string",
      value: "<id>",
      description: "the pool to serve (several machines may share one)",
    },
    capacity: { type: "string", value: "<n>", description: "runs at once (default 1)" },
    backend: {
      type: "string",
      value: "process|docker",
      description:
        "isolation: a fresh directory and clean environment (default), or a container per run",
    },
    "docker-image": {
      type: "string",
      value: "<image>",
      description:
        "with --backend docker: the image of runs whose environment names none (default ubuntu:24.04)",
    },
    workdir: {
      type: "string",
      value: "<dir>",
      description: "where run workspaces go (default ~/.ambit/runner)",
    },
    label: {
      type: "string",
      multiple: true,
      value: "<label>",
      description: "a label shown in `ambit host list`",
    },
    "agent-user": {
      type: "string",
      value: "<user>",
      description:
        "with the process backend and a root runner: run every process of a run as this unprivileged user, out of reach of the key",
    },
    "allow-local-repos": {
      type: "boolean",
      description:
        "let runs clone (and push to) local paths and file:// URLs, this machine's disk (tests)",
    },
    url: {
      type: "string",
      value: "<url>",
      description: "the platform (default: AMBIT_BASE_URL or the login's)",
    },
  },
  examples: [
    "ambit host start --worker-id my-box",
    "ambit host start --worker-id gpu-box --capacity 4 --backend docker --label gpu",
    "AMBIT_API_KEY=ambit_… ambit host start --url https://ambit.example.com --worker-id ci",
  ],
  async run({ values, settings, io }) {
    // the runner (and its MCP and websocket libraries) load only for this command
    const { serveHost, serveProblems } = await import("@ambit/runner");
    const s = settings();
    const capacity = Number(str(values.capacity) ?? "1");
    const backend = str(values.backend) ?? "process";
    const problems = serveProblems({
      workerId: str(values["worker-id"]),
      capacity,
      backend,
      agentUser: str(values["agent-user"]),
    });
    if (problems.length) throw new UsageError(problems.join("\n"), "ambit host start");
    if (!s.apiKey)
      throw new CliError(
        "no API key: run `ambit login` or set AMBIT_API_KEY",
        EXIT.AUTH,
        "mint a host key: ambit api-key create <name> --scope hosts:connect --pool <worker-id>",
      );
    try {
      return await serveHost({
        url: str(values.url) ?? s.baseURL,
        apiKey: s.apiKey,
        workerId: str(values["worker-id"])!,
        capacity,
        backend: backend as "process" | "docker",
        dockerImage: str(values["docker-image"]),
        workdir: str(values.workdir),
        labels: strs(values.label),
        agentUser: str(values["agent-user"]),
        allowLocalRepos: !!values["allow-local-repos"],
        log: (line) => io.err.write(`${line}\n`),
      });
    } catch (err) {
      throw new CliError(
        (err as Error).message,
        EXIT.ERROR,
        "check the URL and that the key is a host key for this pool (--scope hosts:connect --pool <worker-id>) or an admin's",
      );
    }
  },
};
