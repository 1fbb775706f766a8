import { z } from "zod";

const User = z.looseObject({
  id: z.string(),
  name: z.string().nullish(),
  email: z.string().nullish(),
});
const Issue = z.looseObject({
  id: z.string(),
  identifier: z.string().nullish(),
  title: z.string().nullish(),
  description: z.string().nullish(),
  url: z.string().nullish(),
  teamId: z.string().nullish(),
  team: z.looseObject({ id: z.string(), key: z.string().nullish() }).nullish(),
  projectId: z.string().nullish(),
});

/** The fields of an `AgentSessionEvent` read (integrations reference §4.3); others are ignored. */
export const AgentSessionEvent = z.looseObject({
  type: z.literal("AgentSessionEvent"),
  action: z.string(),
  appUserId: z.string().nullish(),
  organizationId: z.string().nullish(),
  agentSession: z.looseObject({
    id: z.string(),
    url: z.string().nullish(),
    issueId: z.string().nullish(),
    issue: Issue.nullish(),
    comment: z.looseObject({ id: z.string(), body: z.string().nullish() }).nullish(),
    creatorId: z.string().nullish(),
    creator: User.nullish(),
  }),
  agentActivity: z
    .looseObject({
      userId: z.string().nullish(),
      user: User.nullish(),
      signal: z.string().nullish(),
      content: z.looseObject({ type: z.string().nullish(), body: z.string().nullish() }).nullish(),
    })
    .nullish(),
  promptContext: z.string().nullish(),
  previousComments: z
    .array(z.looseObject({ body: z.string().nullish(), userId: z.string().nullish() }))
    .nullish(),
});
export type AgentSessionEvent = z.infer<typeof AgentSessionEvent>;
