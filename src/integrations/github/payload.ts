import { z } from "zod";

// The fields of GitHub's webhook payloads this kind reads (integrations reference §1.5–1.6);
// everything else in a payload is kept as given and ignored.

const User = z.looseObject({ login: z.string(), type: z.string().optional() });
const Label = z.looseObject({ name: z.string() });

export const Repository = z.looseObject({
  name: z.string(),
  full_name: z.string(),
  owner: z.looseObject({ login: z.string() }),
  html_url: z.string(),
});

export const Envelope = z.looseObject({
  action: z.string().optional(),
  sender: User.optional(),
  repository: Repository.optional(),
  installation: z.looseObject({ id: z.number() }).optional(),
});

const Issue = z.looseObject({
  number: z.number(),
  title: z.string(),
  body: z.string().nullish(),
  html_url: z.string(),
  labels: z.array(Label).default([]),
  comments: z.number().optional(),
  pull_request: z.looseObject({}).nullish(),
});

export const IssueCommentEvent = Envelope.extend({
  issue: Issue,
  comment: z.looseObject({
    id: z.number(),
    body: z.string().nullish(),
    html_url: z.string(),
    user: User,
    author_association: z.string(),
    performed_via_github_app: z.looseObject({ id: z.number() }).nullish(),
  }),
});

export const IssuesEvent = Envelope.extend({ issue: Issue, label: Label.optional() });

const Branch = z.looseObject({ ref: z.string(), sha: z.string().optional() });
export const PullRequestEvent = Envelope.extend({
  number: z.number(),
  pull_request: z.looseObject({
    title: z.string(),
    body: z.string().nullish(),
    html_url: z.string(),
    draft: z.boolean().optional(),
    user: User,
    author_association: z.string(),
    labels: z.array(Label).default([]),
    head: Branch,
    comments: z.number().optional(),
  }),
});

const PullRef = z.looseObject({ number: z.number() });
export const WorkflowRunEvent = Envelope.extend({
  workflow_run: z.looseObject({
    id: z.number(),
    name: z.string().nullish(),
    conclusion: z.string().nullish(),
    head_branch: z.string().nullish(),
    head_sha: z.string().optional(),
    html_url: z.string(),
    head_repository: z.looseObject({ full_name: z.string() }).nullish(),
    pull_requests: z.array(PullRef).default([]),
  }),
});

export const CheckSuiteEvent = Envelope.extend({
  check_suite: z.looseObject({
    id: z.number(),
    conclusion: z.string().nullish(),
    head_branch: z.string().nullish(),
    head_sha: z.string().optional(),
    app: z.looseObject({ id: z.number().optional(), slug: z.string().optional() }).nullish(),
    pull_requests: z.array(PullRef).default([]),
  }),
});
