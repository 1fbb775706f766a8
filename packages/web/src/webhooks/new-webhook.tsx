// Register an outbound webhook (admins): its URL, the event types it hears of, a description
// (`WebhookFields`); its `whsec_` signing secret is shown here once.
import { useMutation, useQueryClient } from "@tanstack/react-query";
import type { FormEvent } from "react";
import { Problem } from "../components/problem.tsx";
import { client } from "../lib/api.ts";
import { KeyOnce } from "../team/key-once.tsx";
import { WebhookFields, webhookInput } from "./webhook-fields.tsx";

export function NewWebhook() {
  const queryClient = useQueryClient();
  const create = useMutation({
    mutationFn: async (f: FormData) => {
      const { description, ...rest } = webhookInput(f);
      return client.webhooks.create({ ...rest, ...(description ? { description } : {}) });
    },
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ["webhooks"] }),
  });
  function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const form = e.currentTarget;
    create.mutate(new FormData(form), { onSuccess: () => form.reset() });
  }
  return (
    <>
      <form className="settings-form" onSubmit={submit} aria-label="New webhook">
        <WebhookFields idPrefix="webhook" />
        <Problem error={create.error} what="The webhook was not created" />
        <div className="actions">
          <button type="submit" className="primary" disabled={create.isPending}>
            Create webhook
          </button>
        </div>
      </form>
      {create.data && (
        <KeyOnce value={create.data.secret} label="Signing secret" testId="webhook-secret">
          The signing secret of <code>{create.data.url}</code>: store it in the receiver now, it is
          not shown again.
        </KeyOnce>
      )}
    </>
  );
}
