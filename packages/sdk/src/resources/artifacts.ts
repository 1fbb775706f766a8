import type { ArtifactResponse, Problem } from "@ambit/protocol";
import type { RequestOptions } from "../core/client.ts";
import { AmbitError, APIConnectionError, APIError } from "../core/errors.ts";
import { APIResource, path } from "../core/resource.ts";

export type Artifact = ArtifactResponse;

/** `client.agent.artifacts`: what runs produced (files, pull requests, external references). */
export class Artifacts extends APIResource {
  /**
   * One artifact by its `artifact_uid` (a run's `artifacts` list them); a file comes with a
   * short-lived `data.download_url`.
   *
   * @example
   * const artifact = await client.agent.artifacts.retrieve(run.artifacts![0].data.artifact_uid as string);
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
  async download(artifactUid: string, options?: RequestOptions): Promise<{ filename: string; contentType: string; bytes: Uint8Array }> {
    const artifact = await this.retrieve(artifactUid, options);
    const url = artifact.data.download_url;
    if (typeof url !== "string") throw new AmbitError(`artifact ${artifactUid} is a ${artifact.artifact_type}, which has no file to download`);
    const res = await this._client.fetch(url, { signal: options?.signal }).catch((err: unknown) => {
      throw new APIConnectionError(`could not download artifact ${artifactUid}: ${String(err)}`, { cause: err });
    });
    if (!res.ok) throw APIError.generate(res.status, (await res.json().catch(() => undefined)) as Partial<Problem> | undefined, res.headers);
    const filename = typeof artifact.data.filename === "string" ? artifact.data.filename : artifactUid;
    return { filename, contentType: res.headers.get("content-type") ?? "application/octet-stream", bytes: new Uint8Array(await res.arrayBuffer()) };
  }
}
