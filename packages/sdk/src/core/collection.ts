import type { QueryValue, RequestOptions } from "./client.ts";
import { APIResource, path } from "./resource.ts";

/**
 * A team collection of uid-named configuration under `/agent/<name>`: `create`, `retrieve`,
 * `update` (the body the API takes: a whole replacement for most), `delete`. A resource class
 * names its path and types, and declares its own `list` (its answer's key, its query if any).
 *
 * @example
 * const { uid } = await client.agent.rules.create({ name: "tests", content: "Run the tests." });
 * await client.agent.rules.update(uid, { name: "tests", content: "Run all the tests." });
 * const rule = await client.agent.rules.retrieve(uid);
 * await client.agent.rules.delete(uid);
 */
export abstract class Collection<Item, Create, Update = Create> extends APIResource {
  /** e.g. `/agent/rules`. */
  protected abstract readonly basePath: string;

  protected listAt<List>(query: Record<string, QueryValue> | undefined, options?: RequestOptions) {
    return this._client.get<List>(this.basePath, query ? { ...options, query } : options);
  }

  create(body: Create, options?: RequestOptions) {
    return this._client.post<Item>(this.basePath, { body, ...options });
  }

  retrieve(uid: string, options?: RequestOptions) {
    return this._client.get<Item>(this.basePath + path`/${uid}`, options);
  }

  update(uid: string, body: Update, options?: RequestOptions) {
    return this._client.put<Item>(this.basePath + path`/${uid}`, { body, ...options });
  }

  delete(uid: string, options?: RequestOptions) {
    return this._client.delete<void>(this.basePath + path`/${uid}`, options);
  }
}
