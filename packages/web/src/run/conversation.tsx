// The run as a conversation (`GET /agent/runs/{id}/conversation`): who said what, turn by turn.
import { useQuery } from "@tanstack/react-query";
import { Markdown } from "../components/markdown.tsx";
import { Problem } from "../components/problem.tsx";
import { client } from "../lib/api.ts";

type Block = { type: string; text?: string; name?: string; input?: unknown; state?: string };

export function Conversation({ runId }: { runId: string }) {
  const conversation = useQuery({
    queryKey: ["conversation", runId],
    queryFn: async () => client.agent.runs.conversation(runId),
    refetchInterval: 3_000,
  });
  if (conversation.error)
    return <Problem error={conversation.error} what="Could not load the conversation" />;
  if (!conversation.data) return <p>Loading…</p>;
  const messages = conversation.data.steps.flatMap((s) => s.messages);
  if (!messages.length) return <p className="empty">No messages yet.</p>;
  return (
    <ol className="conversation">
      {messages.map((m, i) => (
        <li key={i} className={`c-${m.role}`}>
          <strong>{m.role}</strong>
          {(m.content as Block[]).map((b, j) =>
            b.type === "text" ? (
              <Markdown key={j} text={b.text ?? ""} />
            ) : (
              <p key={j} className="c-block">
                {b.type}
                {b.name ? `: ${b.name}` : ""}
                {b.state ? ` (${b.state})` : ""}
              </p>
            ),
          )}
        </li>
      ))}
    </ol>
  );
}
