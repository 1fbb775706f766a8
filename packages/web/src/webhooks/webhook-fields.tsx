// The fields of an outbound webhook a form sets: its URL, the event types it hears of (the
// protocol's list) and a description; `webhookInput` reads them back from the form's data.
import { WEBHOOK_EVENT_TYPES } from "@ambit/protocol/event-types";

type EventType = (typeof WEBHOOK_EVENT_TYPES)[number];

export type WebhookFieldValues = { url: string; event_types: string[]; description: string | null };

export function WebhookFields({
  idPrefix,
  values,
}: {
  idPrefix: string;
  values?: WebhookFieldValues;
}) {
  const checked = new Set(values?.event_types ?? ["run.completed"]);
  return (
    <>
      <div className="field">
        <label htmlFor={`${idPrefix}-url`}>URL</label>
        <input
          id={`${idPrefix}-url`}
          name="url"
          type="url"
          required
          defaultValue={values?.url}
          placeholder="https://ci.example.com/ambit"
        />
      </div>
      <fieldset className="field refs">
        <legend>Event types</legend>
        {WEBHOOK_EVENT_TYPES.map((t) => (
          <label key={t} className="check">
            <input type="checkbox" name="event_types" value={t} defaultChecked={checked.has(t)} />{" "}
            <code>{t}</code>
          </label>
        ))}
      </fieldset>
      <div className="field">
        <label htmlFor={`${idPrefix}-description`}>Description (optional)</label>
        <input
          id={`${idPrefix}-description`}
          name="description"
          maxLength={500}
          defaultValue={values?.description ?? ""}
        />
      </div>
    </>
  );
}

/** The form's URL, event types and description (null when blank) as the API takes them. */
export function webhookInput(f: FormData) {
  const description = String(f.get("description") ?? "").trim();
  return {
    url: String(f.get("url")).trim(),
    event_types: f.getAll("event_types").map(String) as EventType[],
    description: description || null,
  };
}
