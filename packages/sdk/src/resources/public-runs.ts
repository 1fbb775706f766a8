import type { RunItem } from "@ambit/protocol";
import type { RequestOptions } from "../core/client.ts";
import { APIResource, path } from "../core/resource.ts";
import { RunStream, type RunStreamOptions } from "../core/run-stream.ts";

/**
 * `client.publicRuns`: a run behind its public link (the share id is the credential; no key),
 * read-only, its people anonymous.
 */
export class PublicRuns extends APIResource {
  /**
   * The linked run (no creator email or id, no `agent_config`). A revoked link is a 404.
   *
   * @example
   * const run = await new Ambit({ apiKey: null }).publicRuns.retrieve(shareId);
   */
  retrieve(shareId: string, options?: RequestOptions) {
    return this._client.get<RunItem>(path`/public/runs/${shareId}`, options);
  }

  /**
   * The linked run's events, replayed then live, like `agent.runs.stream` but read-only.
   *
   * @example
   * for await (const e of client.publicRuns.stream(shareId)) console.log(e.seq, e.type);
   */
  stream(shareId: string, options?: RunStreamOptions): RunStream {
    return new RunStream(this._client, shareId, options, true);
  }
}
