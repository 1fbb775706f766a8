// GitHub webhook payloads as GitHub sends them, for tests and benches that post deliveries to a
// `github` integration's inbound URL (the fields the kind reads: src/integrations/github/payload.ts).

/** An `issue_comment` `created` delivery: `login` (an `association`) comments `body` on issue `number`. */
export function issueCommentPayload(o: {
  repo: string;
  number: number;
  body: string;
  commentId: number;
  association?: string;
  login?: string;
}) {
  const [owner, name] = o.repo.split("/");
  const login = o.login ?? "maintainer";
  const html = `https://github.com/${o.repo}/issues/${o.number}`;
  return {
    action: "created",
    sender: { login, id: 3, type: "User" },
    repository: {
      id: 1,
      name,
      full_name: o.repo,
      owner: { login: owner, id: 10, type: "Organization" },
      private: true,
      html_url: `https://github.com/${o.repo}`,
      default_branch: "main",
    },
    organization: { login: owner, id: 10 },
    issue: {
      number: o.number,
      title: `Issue ${o.number}`,
      body: "Something is off.",
      state: "open",
      labels: [],
      user: { login: "reporter", type: "User" },
      comments: 0,
      html_url: html,
      author_association: "NONE",
    },
    comment: {
      id: o.commentId,
      body: o.body,
      user: { login, id: 3, type: "User" },
      author_association: o.association ?? "OWNER",
      html_url: `${html}#issuecomment-${o.commentId}`,
      performed_via_github_app: null,
    },
  };
}
