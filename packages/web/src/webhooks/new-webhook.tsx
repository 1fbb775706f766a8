// Register an outbound webhook (admins): its URL, the event types it hears of (the protocol's
// list), a description; its `whsec_` signing secret is shown here once.
import { WEBHOOK_EVENT_TYPES } from "@ambit/protocol/event-types";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import type { FormEvent } from "react";
import { Problem } from "../components/problem.tsx";
import { client } from "../lib/api.ts";
import { KeyOnce } from "../team/key-once.tsx";

type EventType = (typeof WEBHOOK_EVENT_TYPES)[number];

export function NewWebhook() {
  const queryClient = useQueryClient();
  const create = useMutation({
    mutationFn: async (f: FormData) => {
      const description = String(f.get("description") ?? "").trim();
      return client.webhooks.create({
        url: String(f.get("url")).trim(),
        event_types: f.getAll("event_types").map(String) as EventType[],
        ...(description ? { description } : {}),
      });
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
        <div className="field">
          <label htmlFor="webhook-url">URL</label>
          <input
            id="webhook-url"
            name="url"
            type="url"
            required
            placeholder="https://ci.example.com/ambit"
          />
        </div>
        <fieldset className="field refs">
          <legend>Event types</legend>
          {WEBHOOK_EVENT_TYPES.map((t) => (
            <label key={t} className="check">
              <input
                type="checkbox"
                name="event_types"
                value={t}
                defaultChecked={t === "run.completed"}
              />{" "}
              <code>{t}</code>
            </label>
          ))}
        </fieldset>
        <div className="field">
          <label htmlFor="webhook-description">Description (optional)</label>
          <input id="webhook-description" name="description" maxLength={500} />
        </div>
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
