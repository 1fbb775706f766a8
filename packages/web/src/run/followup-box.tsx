// Steer the run: a follow-up to the live agent (or a new execution of an ended run).
import { useMutation } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { Problem } from "../components/problem.tsx";
import { client } from "../lib/api.ts";

export function FollowupBox({ runId }: { runId: string }) {
  const [message, setMessage] = useState("");
  const send = useMutation({
    mutationFn: async (text: string) => client.agent.runs.followup(runId, { message: text }),
    onSuccess: () => setMessage(""),
  });
  function submit(e: FormEvent) {
    e.preventDefault();
    if (message.trim()) send.mutate(message.trim());
  }
  return (
    <form className="followup" onSubmit={submit}>
      <label htmlFor="followup">Follow-up</label>
      <textarea
        id="followup"
        rows={2}
        value={message}
        placeholder="Tell the agent something (Ctrl+Enter sends)"
        onChange={(e) => setMessage(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) submit(e);
        }}
      />
      <button type="submit" disabled={send.isPending || !message.trim()}>
        {send.isPending ? "Sending…" : "Send"}
      </button>
      <Problem error={send.error} what="The follow-up was not sent" />
    </form>
  );
}
