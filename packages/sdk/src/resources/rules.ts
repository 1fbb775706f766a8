import type { Rule, RuleRequest } from "@ambit/protocol";
import type { z } from "zod";
import type { RequestOptions } from "../core/client.ts";
import { APIResource, path } from "../core/resource.ts";

export type RuleCreateParams = z.input<typeof RuleRequest>;

/** `client.agent.rules`: team rules: instructions every run of the team receives (`enabled` ones). */
export class Rules extends APIResource {
  /**
   * @example
   * const { rules } = await client.agent.rules.list();
   */
  list(options?: RequestOptions) {
    return this._client.get<{ rules: Rule[] }>("/agent/rules", options);
  }

  /**
   * Creates one (admins).
   *
   * @example
   * const created = await client.agent.rules.create({ name: "tests", content: "Run the tests before you commit." });
   */
  create(body: RuleCreateParams, options?: RequestOptions) {
    return this._client.post<Rule>("/agent/rules", { body, ...options });
  }

  /**
   * @example
   * const item = await client.agent.rules.retrieve(uid);
   */
  retrieve(uid: string, options?: RequestOptions) {
    return this._client.get<Rule>(path`/agent/rules/${uid}`, options);
  }

  /**
   * Replaces one (the whole body; admins).
   *
   * @example
   * await client.agent.rules.update(uid, { name: "tests", content: "Run the tests before you commit." });
   */
  update(uid: string, body: RuleCreateParams, options?: RequestOptions) {
    return this._client.put<Rule>(path`/agent/rules/${uid}`, { body, ...options });
  }

  /**
   * @example
   * await client.agent.rules.delete(uid);
   */
  delete(uid: string, options?: RequestOptions) {
    return this._client.delete<void>(path`/agent/rules/${uid}`, options);
  }
}
