import type {
  CreateModelRequest,
  ListModelsResponse,
  ModelInfo,
  UpdateModelRequest,
} from "@ambit/protocol";
import type { z } from "zod";
import type { RequestOptions } from "../core/client.ts";
import { APIResource, path } from "../core/resource.ts";

export type ModelCreateParams = z.input<typeof CreateModelRequest>;
export type ModelUpdateParams = z.input<typeof UpdateModelRequest>;

/** `client.agent.models`: the team's model catalog (which API, where, which secret holds the key) and its default. */
export class Models extends APIResource {
  /**
   * The catalog and `default_model_id` (Oz `ListModelsResponse`).
   *
   * @example
   * const { default_model_id, models } = await client.agent.models.list();
   */
  list(options?: RequestOptions) {
    return this._client.get<ListModelsResponse>("/agent/models", options);
  }

  /**
   * Adds a model (admins); runs name it by `id` in `config.model_id`.
   *
   * @example
   * await client.agent.models.create({ id: "local", provider: "openai", model: "qwen3", base_url: "http://localhost:8080/v1", default: true });
   */
  create(body: ModelCreateParams, options?: RequestOptions) {
    return this._client.post<ModelInfo>("/agent/models", { body, ...options });
  }

  /**
   * Replaces a catalog entry (admins; the whole body — omitted fields return to their defaults).
   *
   * @example
   * await client.agent.models.update("local", { provider: "openai", model: "qwen3-32b", base_url: "http://localhost:8080/v1" });
   */
  update(id: string, body: ModelUpdateParams, options?: RequestOptions) {
    return this._client.put<ModelInfo>(path`/agent/models/${id}`, { body, ...options });
  }

  /**
   * @example
   * await client.agent.models.delete("local");
   */
  delete(id: string, options?: RequestOptions) {
    return this._client.delete<void>(path`/agent/models/${id}`, options);
  }
}
