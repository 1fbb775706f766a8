import type { Rule, RuleRequest } from "@ambit/protocol";
import { rules } from "../../db/schema.ts";
import { iso } from "../../lib/time.ts";
import { configCollection } from "./collection.ts";
import type { RuleRow } from "./team-config.ts";

const toRule = (r: RuleRow): Rule => ({
  uid: r.id,
  name: r.name,
  content: r.content,
  enabled: r.enabled,
  created_at: iso(r.createdAt),
  updated_at: iso(r.updatedAt),
});

/** Team rules: admins write them; every run of the team receives the enabled ones. */
export const {
  list: listRules,
  get: getRule,
  create: createRule,
  update: updateRule,
  remove: deleteRule,
} = configCollection<RuleRow, Rule, RuleRequest>({
  table: rules,
  noun: "Rule",
  uniqueName: "a rule",
  cached: (c) => c.rules,
  toItem: toRule,
  authorize: "admin",
  actions: {
    create: "Creating team rules",
    update: "Changing team rules",
    remove: "Deleting team rules",
  },
  fields: (input) => ({ name: input.name, content: input.content, enabled: input.enabled }),
});
