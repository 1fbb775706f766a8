// Change an outbound webhook's URL, event types or description (admins); its signing secret stays.
import type { WebhookItem } from "@ambit/sdk";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import type { FormEvent } from "react";
import { Problem } from "../components/problem.tsx";
import { client } from "../lib/api.ts";
import { WebhookFields, webhookInput } from "./webhook-fields.tsx";

export function EditWebhook({ hook, onDone }: { hook: WebhookItem; onDone: () => void }) {
  const queryClient = useQueryClient();
  const save = useMutation({
    mutationFn: async (f: FormData) => client.webhooks.update(hook.uid, webhookInput(f)),
    onSuccess: async (next) => {
      queryClient.setQueryData(["webhooks", hook.uid], next);
      await queryClient.invalidateQueries({ queryKey: ["webhooks"], exact: true });
      onDone();
    },
  });
  function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    save.mutate(new FormData(e.currentTarget));
  }
  return (
    <form className="settings-form" onSubmit={submit} aria-label="Edit webhook">
      <WebhookFields idPrefix="edit-webhook" values={hook} />
      <Problem error={save.error} what="The webhook was not changed" />
      <div className="actions">
        <button type="submit" className="primary" disabled={save.isPending}>
          Save
        </button>
        <button type="button" onClick={onDone}>
          Cancel
        </button>
      </div>
    </form>
  );
}
