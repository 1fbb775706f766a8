// Cancel, after a confirmation in a modal dialog (Escape or "Keep running" closes it).
import { ConfirmButton } from "../components/confirm-button.tsx";
import { client } from "../lib/api.ts";

export function CancelButton({ runId }: { runId: string }) {
  return (
    <ConfirmButton
      label="Cancel run"
      title="Cancel this run?"
      keep="Keep running"
      confirm="Yes, cancel the run"
      pending="Cancelling…"
      what="The run was not cancelled"
      action={async () => client.agent.runs.cancel(runId)}
    >
      <p>The agent stops and the run ends CANCELLED. A follow-up can start it again later.</p>
    </ConfirmButton>
  );
}
