import type { ConnectedSelfHostedWorker, HostInfo } from "@ambit/protocol";
import type { z } from "zod";
import type { RequestOptions } from "../core/client.ts";
import { APIResource } from "../core/resource.ts";

export type ConnectedWorker = z.infer<typeof ConnectedSelfHostedWorker>;

/** `client.hosts`: the machines running the team's runs. */
export class Hosts extends APIResource {
  /**
   * Every connected host connection, with capacity and the runs it holds.
   *
   * @example
   * const { hosts } = await client.hosts.list();
   */
  list(options?: RequestOptions) {
    return this._client.get<{ hosts: HostInfo[] }>("/hosts", options);
  }

  /**
   * Connected self-hosted workers grouped by `worker_host` (Oz `GET /agent/connected-self-hosted-workers`).
   *
   * @example
   * const { workers } = await client.hosts.connectedWorkers();
   */
  connectedWorkers(options?: RequestOptions) {
    return this._client.get<{ workers: ConnectedWorker[] }>(
      "/agent/connected-self-hosted-workers",
      options,
    );
  }
}
