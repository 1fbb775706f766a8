// Create or edit an integration (admins): its name, type and how it connects (the credential
// fields of that way, write-only), the run defaults its runs start from (environment, model and
// host pool picked from their lists), its prompt template and its settings as JSON. Uncontrolled
// like the settings forms: read once on submit, so a secret lives only in its password input.
import type { CreateIntegrationResponse, IntegrationItem } from "@ambit/protocol";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { Problem } from "../components/problem.tsx";
import { client } from "../lib/api.ts";
import { teamDefault, useDefaultModel } from "../lib/choices.ts";
import { useMe } from "../lib/me.ts";
import { FieldInput, readForm } from "../settings/fields.tsx";
import type { Field, Values } from "../settings/resource.ts";
import { type ConnectMode, type IntegrationType, KINDS, modeOf, TYPES } from "./kinds.ts";

const PICKED = ["environment_id", "model_id", "worker_host"] as const;

function commonFields(defaultModel: string | undefined): Field[] {
  return [
    { name: "name", label: "Name", kind: "text", required: true },
    { name: "environment_id", label: "Environment", kind: "ref", from: "environments" },
    {
      name: "model_id",
      label: "Model",
      kind: "ref",
      from: "models",
      none: teamDefault(defaultModel),
    },
    { name: "worker_host", label: "Host pool", kind: "ref", from: "pools", none: "Platform pool" },
    {
      name: "prompt_template",
      label: "Prompt template",
      kind: "multiline",
      help: "{{payload.path}} placeholders are filled from the delivery; empty: the type's own.",
    },
    {
      name: "settings",
      label: "Settings (JSON)",
      kind: "multiline",
      help: "Triggers, filters and maps of the type (docs/integrations.md).",
    },
  ];
}

const settingsText = (item?: IntegrationItem) =>
  item && Object.keys(item.settings).length ? JSON.stringify(item.settings, null, 2) : "";

function toForm(item?: IntegrationItem): Values {
  if (!item) return {};
  const d = item.run_defaults as Record<string, unknown>;
  const out: Values = {
    name: item.name,
    prompt_template: item.prompt_template ?? "",
    settings: settingsText(item),
  };
  for (const k of PICKED) if (typeof d[k] === "string") out[k] = d[k] as string;
  return out;
}

/** The request body the form's values make; on edit only what changed or was typed. */
function toBody(v: Values, mode: ConnectMode, current?: IntegrationItem) {
  const text = (k: string) => (typeof v[k] === "string" ? (v[k] as string) : "");
  const credentials: Record<string, string> = {};
  for (const f of mode.fields) if (text(f.name).trim()) credentials[f.name] = text(f.name);
  // the picked defaults over whatever else the run defaults hold
  const run_defaults: Record<string, unknown> = { ...current?.run_defaults };
  for (const k of PICKED) {
    if (text(k)) run_defaults[k] = text(k);
    else delete run_defaults[k];
  }
  const settings = text("settings").trim();
  const template = text("prompt_template");
  let parsed: Record<string, unknown> | undefined;
  if (settings && settings !== settingsText(current)) {
    try {
      parsed = JSON.parse(settings);
    } catch (err) {
      throw new Error(`Settings are not valid JSON: ${(err as Error).message}`);
    }
  }
  return {
    name: text("name"),
    ...(Object.keys(credentials).length ? { credentials } : {}),
    ...(parsed ? { settings: parsed } : {}),
    run_defaults,
    ...(template.trim() ? { prompt_template: template } : current ? { prompt_template: null } : {}),
  };
}

export function IntegrationForm(props: {
  current?: IntegrationItem;
  initialType?: IntegrationType;
  onSaved: (saved: CreateIntegrationResponse | IntegrationItem, mode: ConnectMode) => unknown;
}) {
  const { current } = props;
  const role = useMe().data!.role;
  const queryClient = useQueryClient();
  const [type, setType] = useState<IntegrationType>(
    current?.type ?? props.initialType ?? "webhook",
  );
  const modes = KINDS[type].modes;
  const [modeId, setModeId] = useState(current ? modeOf(current).id : modes[0].id);
  const mode = modes.find((m) => m.id === modeId) ?? modes[0];
  const fields = commonFields(useDefaultModel());
  const save = useMutation({
    mutationFn: async (v: Values) => {
      const body = toBody(v, mode, current);
      if (current) return client.integrations.update(current.uid, body);
      return client.integrations.create({ ...body, type, enabled: v.enabled === true });
    },
    onSuccess: async (saved) => {
      await queryClient.invalidateQueries({ queryKey: ["integrations"] });
      await props.onSaved(saved, mode);
    },
  });
  function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const form = e.currentTarget;
    const all = [
      ...fields,
      ...mode.fields,
      { name: "enabled", label: "", kind: "checkbox" as const },
    ];
    save.mutate(readForm(form, all), { onSuccess: () => form.reset() });
  }
  const values = toForm(current);
  // on edit a credential left empty stays as it is
  const credentialFields = mode.fields.map((f) => (current ? { ...f, required: false } : f));
  return (
    <form
      className="settings-form"
      onSubmit={submit}
      aria-label={current ? `Edit ${current.name}` : "New integration"}
    >
      {!current && (
        <div className="field">
          <label htmlFor="integration-type">Type</label>
          <select
            id="integration-type"
            value={type}
            onChange={(e) => {
              const next = e.target.value as IntegrationType;
              setType(next);
              setModeId(KINDS[next].modes[0].id);
            }}
          >
            {TYPES.map((t) => (
              <option key={t} value={t}>
                {KINDS[t].label}
              </option>
            ))}
          </select>
        </div>
      )}
      {modes.length > 1 && (
        <fieldset className="field refs">
          <legend>How it connects</legend>
          {modes.map((m) => (
            <label key={m.id} className="check">
              <input
                type="radio"
                name="mode"
                value={m.id}
                checked={m.id === mode.id}
                onChange={() => setModeId(m.id)}
              />{" "}
              {m.label}
            </label>
          ))}
        </fieldset>
      )}
      {fields.slice(0, 1).map((f) => (
        <FieldInput key={f.name} field={f} value={values[f.name]} role={role} editing={!!current} />
      ))}
      {credentialFields.map((f) => (
        <FieldInput
          key={`${type}-${mode.id}-${f.name}`}
          field={f}
          value={undefined}
          role={role}
          editing={!!current}
        />
      ))}
      {current && <p className="help">Credentials left empty stay as they are.</p>}
      {fields.slice(1).map((f) => (
        <FieldInput key={f.name} field={f} value={values[f.name]} role={role} editing={!!current} />
      ))}
      {!current && (
        <div className="check">
          <input type="checkbox" id="integration-enabled" name="enabled" defaultChecked />
          <label htmlFor="integration-enabled">Enabled</label>
        </div>
      )}
      <Problem error={save.error} what="The integration was not saved" />
      <div className="actions">
        <button type="submit" className="primary" disabled={save.isPending}>
          {save.isPending ? "Saving…" : current ? "Save integration" : "Create integration"}
        </button>
      </div>
    </form>
  );
}
