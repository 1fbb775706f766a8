// Cancel, after a confirmation in a modal dialog (Escape or "Keep running" closes it).
import { useMutation } from "@tanstack/react-query";
import { useRef } from "react";
import { Problem } from "../components/problem.tsx";
import { client } from "../lib/api.ts";

export function CancelButton({ runId }: { runId: string }) {
  const dialog = useRef<HTMLDialogElement>(null);
  const cancel = useMutation({
    mutationFn: async () => client.agent.runs.cancel(runId),
    onSuccess: () => dialog.current?.close(),
  });
  return (
    <>
      <button type="button" className="danger" onClick={() => dialog.current?.showModal()}>
        Cancel run
      </button>
      <dialog ref={dialog} aria-labelledby="cancel-title">
        <h2 id="cancel-title">Cancel this run?</h2>
        <p>The agent stops and the run ends CANCELLED. A follow-up can start it again later.</p>
        <Problem error={cancel.error} what="The run was not cancelled" />
        <div className="actions">
          {/* biome-ignore lint/a11y/noAutofocus: a confirmation dialog focuses its safe choice (WAI-ARIA dialog pattern) */}
          <button type="button" autoFocus onClick={() => dialog.current?.close()}>
            Keep running
          </button>
          <button
            type="button"
            className="danger"
            disabled={cancel.isPending}
            onClick={() => cancel.mutate()}
          >
            {cancel.isPending ? "Cancelling…" : "Yes, cancel the run"}
          </button>
        </div>
      </dialog>
    </>
  );
}
