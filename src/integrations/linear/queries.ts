import type { LinearClient } from "./graphql.ts";

/** An issue with what a run needs to know of it (one query of ~ `comments` × 2 complexity points). */
export type IssueContext = {
  id: string;
  identifier: string;
  title: string;
  description: string;
  url: string;
  team?: { id: string; key: string } | null;
  project?: { id: string; name?: string } | null;
  labels: string[];
  comments: { author: string; body: string }[];
};

const ISSUE = `query AmbitIssue($id: String!, $comments: Int!) {
  issue(id: $id) {
    id identifier title description url
    team { id key }
    project { id name }
    labels { nodes { name } }
    comments(first: $comments) { nodes { body createdAt user { name displayName } } }
  }
}`;

type IssueAnswer = {
  issue: Omit<IssueContext, "labels" | "comments" | "description"> & {
    description?: string | null;
    labels?: { nodes: { name: string }[] };
    comments?: {
      nodes: {
        body: string;
        createdAt?: string;
        user?: { name?: string; displayName?: string } | null;
      }[];
    };
  };
};

/** The issue's title, description, labels and first comments (oldest first). */
export async function fetchIssue(
  client: LinearClient,
  id: string,
  comments: number,
): Promise<IssueContext> {
  const { issue } = await client.request<IssueAnswer>(ISSUE, {
    id,
    comments: Math.max(1, comments),
  });
  const nodes = [...(issue.comments?.nodes ?? [])].sort((a, b) =>
    (a.createdAt ?? "").localeCompare(b.createdAt ?? ""),
  );
  return {
    ...issue,
    description: issue.description ?? "",
    labels: (issue.labels?.nodes ?? []).map((l) => l.name),
    comments: nodes
      .slice(0, comments)
      .map((c) => ({ author: c.user?.displayName ?? c.user?.name ?? "someone", body: c.body })),
  };
}

const USER = `query AmbitUser($id: String!) { user(id: $id) { id name email } }`;

/** A Linear user's email (the key to a team member), or null when Linear will not say. */
export async function fetchUserEmail(client: LinearClient, id: string): Promise<string | null> {
  const { user } = await client.request<{ user: { email?: string | null } | null }>(USER, { id });
  return user?.email ?? null;
}

/** Content of an agent activity (integrations reference §4.3); Linear validates it server-side. */
export type ActivityContent =
  | { type: "thought"; body: string }
  | { type: "action"; action: string; parameter: string; result?: string }
  | { type: "elicitation"; body: string }
  | { type: "response"; body: string }
  | { type: "error"; body: string };

const ACTIVITY = `mutation AmbitActivity($input: AgentActivityCreateInput!) {
  agentActivityCreate(input: $input) { success agentActivity { id } }
}`;

/** Posts one activity into an agent session; its id. */
export async function createActivity(
  client: LinearClient,
  agentSessionId: string,
  content: ActivityContent,
): Promise<string | null> {
  const answer = await client.request<{
    agentActivityCreate: { success: boolean; agentActivity?: { id: string } | null };
  }>(ACTIVITY, { input: { agentSessionId, content } });
  return answer.agentActivityCreate.agentActivity?.id ?? null;
}
