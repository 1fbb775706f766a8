import type { Rule, RuleRequest } from "@ambit/protocol";
import type { z } from "zod";
import type { RequestOptions } from "../core/client.ts";
import { Collection } from "../core/collection.ts";

export type RuleCreateParams = z.input<typeof RuleRequest>;

/**
 * `client.agent.rules`: team rules: instructions every run of the team receives (`enabled` ones).
 * Admins write them; `update` replaces the whole body.
 *
 * @example
 * const created = await client.agent.rules.create({ name: "tests", content: "Run the tests before you commit." });
 * await client.agent.rules.update(created.uid, { name: "tests", content: "Run the tests.", enabled: false });
 */
export class Rules extends Collection<Rule, RuleCreateParams> {
  protected readonly basePath = "/agent/rules";

  /**
   * @example
   * const { rules } = await client.agent.rules.list();
   */
  list(options?: RequestOptions) {
    return this.listAt<{ rules: Rule[] }>(undefined, options);
  }
}
