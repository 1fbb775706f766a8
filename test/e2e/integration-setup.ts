// The setup every integration kind's e2e test shares (GitHub, Slack, Linear): a real `wrangler
// dev` with the kind's fake vendor server, a local git server the run clones, pushes and opens its
// pull request on (test/fakes/github.ts), the scripted model server (test/fakes/model-server.ts,
// playing test/fakes/scripted-agent.ts: the prompt's lines are what the agent does) as the team's
// catalog model, an environment with the repository, the integration, and a host runner with the
// built-in harness in a child process. `stop()` undoes it all.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect } from "vitest";
import { startFakeGitHub } from "../fakes/github.ts";
import { type ModelServer, startModelServer } from "../fakes/model-server.ts";
import { scriptedAgentTurn } from "../fakes/scripted-agent.ts";
import { api, type E2eServer, type Json, startE2eServer } from "./helpers.ts";
import { deliveriesOf, processedDelivery, runsOf } from "./integration-log.ts";
import {
  type ChildHost,
  childHost,
  configure,
  untilHosts,
  useModelServer,
} from "./runner-setup.ts";

export const PUBLIC_URL = "https://ambit.example.test";
/** The catalog model runs of the integrations use (the scripted model server). */
export const MODEL_ID = "scripted";

type Closable = { close(): Promise<void> };

export type IntegrationE2e<V extends Closable> = {
  s: E2eServer;
  git: Awaited<ReturnType<typeof startFakeGitHub>>;
  vendor: V;
  model: ModelServer;
  host: ChildHost;
  envId: string;
  /** the integration as created (`uid`, …) */
  integration: Json;
  /** its deliveries, newest first (`query`: more filters, e.g. `&outcome=rejected`) */
  deliveries: (query?: string) => Promise<Json[]>;
  /** waits until the sender's delivery `senderId` is processed; its row */
  processed: (senderId: string) => Promise<Json>;
  /** the team's runs */
  runs: () => Promise<Json[]>;
  stop(): Promise<void>;
};

/**
 * Starts it all for one kind. `vendor` starts the fake vendor server (before the platform, whose
 * `vars` may name its URL); `integration` is the body of POST /integrations (`run_defaults` get
 * the worker and the scripted model added); `githubToken`: the token the git server demands, also
 * stored as the team's GITHUB_TOKEN secret unless `githubSecret: false` (the kind brings its own).
 */
export async function startIntegrationE2e<V extends Closable>(o: {
  name: string;
  repo: string;
  githubToken: string;
  githubSecret?: boolean;
  vendor: () => Promise<V>;
  vars?: (vendor: V) => Record<string, string>;
  integration: (at: { vendor: V; envId: string; git: IntegrationE2e<V>["git"] }) => Json;
}): Promise<IntegrationE2e<V>> {
  const done: (() => Promise<void> | void)[] = [];
  const stop = async () => {
    for (const undo of done.reverse()) await undo();
  };
  try {
    const [vendor, git, model] = await Promise.all([
      o.vendor(),
      startFakeGitHub(o.githubToken),
      startModelServer(scriptedAgentTurn),
    ]);
    done.push(
      () => vendor.close(),
      () => git.stop(),
      () => model.close(),
    );
    const s = await startE2eServer({
      teamName: o.name,
      vars: { PUBLIC_URL, ...o.vars?.(vendor) },
    });
    done.push(() => s.stop());
    const dir = mkdtempSync(path.join(tmpdir(), `ambit-${o.name}-`));
    done.push(() => rmSync(dir, { recursive: true, force: true }));
    git.createRepo(o.repo);
    if (o.githubSecret !== false) await configure(s).secret("GITHUB_TOKEN", o.githubToken);
    await useModelServer(s, MODEL_ID, model.url);
    const [name] = o.repo.split("/").slice(-1);
    const envId = await configure(s).environment({ name, repositories: [{ url: o.repo }] });
    const body = o.integration({ vendor, envId, git });
    const created = await api(s.url, "POST", "/api/v1/integrations", {
      key: s.key,
      body: {
        ...body,
        run_defaults: { ...body.run_defaults, worker_host: o.name, model_id: MODEL_ID },
      },
    });
    expect(created.status, created.text).toBe(201);
    const integration = created.json;
    const host = childHost(s, o.name, path.join(dir, "work"), {
      harness: "builtin",
      env: { AMBIT_GITHUB_URL: git.url, AMBIT_GITHUB_API_URL: git.apiUrl },
    });
    done.push(() => {
      if (host.child.exitCode === null) host.child.kill("SIGKILL");
    });
    await untilHosts(s, o.name, 1, 30_000);
    return {
      s,
      git,
      vendor,
      model,
      host,
      envId,
      integration,
      deliveries: (query = "") => deliveriesOf(s, integration.uid, query),
      processed: (senderId) => processedDelivery(s, integration.uid, senderId),
      runs: () => runsOf(s),
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
