import type { ArtifactResponse, Problem } from "@ambit/protocol";
import type { RequestOptions } from "../core/client.ts";
import { AmbitError, APIConnectionError, APIError } from "../core/errors.ts";
import { APIResource, path } from "../core/resource.ts";

export type Artifact = ArtifactResponse;
export type ArtifactFile = { filename: string; contentType: string; bytes: Uint8Array };

/** `client.agent.artifacts`: what runs produced (files, pull requests, external references). */
export class Artifacts extends APIResource {
  /**
   * One artifact by its `artifact_uid` (a run's `artifacts` list them); a file comes with a
   * short-lived `data.download_url`.
   *
   * @example
   * const artifact = await client.agent.artifacts.retrieve(uid);
   */
  retrieve(artifactUid: string, options?: RequestOptions) {
    return this._client.get<Artifact>(path`/agent/artifacts/${artifactUid}`, options);
  }

  /**
   * A file artifact's bytes, with its name and type: fetched from its signed `download_url`, to
   * which the API key is not sent. An artifact without a file (a pull request) is an error.
   *
   * @example
   * const file = await client.agent.artifacts.download(uid);
   * await writeFile(file.filename, file.bytes);
   */
  async download(artifactUid: string, options?: RequestOptions): Promise<ArtifactFile> {
    const { artifact_type: type, data } = await this.retrieve(artifactUid, options);
    if (typeof data.download_url !== "string") {
      throw new AmbitError(`artifact ${artifactUid} is a ${type}, which has no file to download`);
    }
    const res = await this._client
      .fetch(data.download_url, { signal: options?.signal })
      .catch((cause: unknown) => {
        const why = `could not download artifact ${artifactUid}: ${String(cause)}`;
        throw new APIConnectionError(why, { cause });
      });
    if (!res.ok) {
      const problem = (await res.json().catch(() => undefined)) as Partial<Problem> | undefined;
      throw APIError.generate(res.status, problem, res.headers);
    }
    return {
      filename: typeof data.filename === "string" ? data.filename : artifactUid,
      contentType: res.headers.get("content-type") ?? "application/octet-stream",
      bytes: new Uint8Array(await res.arrayBuffer()),
    };
  }
}
