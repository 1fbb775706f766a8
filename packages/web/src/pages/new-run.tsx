// Start a run: a prompt and, optionally, its environment, model, named agent, saved prompt, host
// pool and sharing. Everything here is a field of `POST /agent/runs`.
import type { RunCreateParams } from "@ambit/sdk";
import { useMutation } from "@tanstack/react-query";
import { useNavigate } from "@tanstack/react-router";
import { type FormEvent, useState } from "react";
import { Problem } from "../components/problem.tsx";
import { canWrite, client } from "../lib/api.ts";
import { Choice } from "../components/choice.tsx";
import { type Choices, teamDefault, useRunOptions } from "../lib/choices.ts";
import { useMe } from "../lib/me.ts";

type Form = {
  prompt: string;
  title: string;
  environment: string;
  model: string;
  agent: string;
  savedPrompt: string;
  pool: string;
  team: string;
  public: string;
  personal: boolean;
};

type ChoiceField = Exclude<keyof Form, "prompt" | "title" | "personal">;

const TEAM_ACCESS: Choices = {
  failed: false,
  options: [
    { value: "NONE", label: "None" },
    { value: "VIEWER", label: "Can watch" },
    { value: "EDITOR", label: "Can steer" },
  ],
};
const PUBLIC_ACCESS: Choices = {
  failed: false,
  options: [{ value: "VIEWER", label: "Anyone with the link can watch" }],
};

export function NewRunPage() {
  const me = useMe();
  const navigate = useNavigate();
  const o = useRunOptions();
  const [f, setF] = useState<Form>({
    prompt: "",
    title: "",
    environment: "",
    model: "",
    agent: "",
    savedPrompt: "",
    pool: "",
    team: "",
    public: "",
    personal: false,
  });
  const set = (k: keyof Form) => (e: { target: { value: string } }) =>
    setF((v) => ({ ...v, [k]: e.target.value }));
  const create = useMutation({
    mutationFn: async (body: RunCreateParams) => client.agent.runs.create(body),
    onSuccess: (r) => navigate({ to: "/runs/$runId", params: { runId: r.run_id } }),
  });

  if (!canWrite(me.data))
    return (
      <p role="alert" className="problem">
        Your role ({me.data?.role}) may watch runs but not start them.
      </p>
    );

  function submit(e: FormEvent) {
    e.preventDefault();
    const config = {
      ...(f.environment && { environment_id: f.environment }),
      ...(f.model && { model_id: f.model }),
      ...(f.pool && { worker_host: f.pool }),
    };
    const sharing = {
      ...(f.team && { team: f.team }),
      ...(f.public && { public: f.public }),
    } as RunCreateParams["sharing"];
    create.mutate({
      ...(f.prompt.trim() && { prompt: f.prompt }),
      ...(f.title.trim() && { title: f.title.trim() }),
      ...(Object.keys(config).length && { config }),
      ...(f.agent && { agent_identity_uid: f.agent }),
      ...(f.savedPrompt && { saved_prompt: f.savedPrompt }),
      ...(f.personal && { team: false }),
      ...(sharing && Object.keys(sharing).length && { sharing }),
    } as RunCreateParams);
  }

  const fields: Array<[ChoiceField, string, string, Choices, string]> = [
    ["environment", "environment", "Environment", o.environment, "No environment"],
    ["model", "model", "Model", o.model, teamDefault(o.defaultModel)],
    ["agent", "agent", "Named agent", o.agent, "None (run as you)"],
    ["savedPrompt", "saved-prompt", "Saved prompt", o.savedPrompt, "None"],
    ["pool", "pool", "Host pool", o.pool, "Platform pool"],
    ["team", "team-access", "Team access", TEAM_ACCESS, "Team default"],
    ["public", "public-access", "Public link", PUBLIC_ACCESS, "No public link"],
  ];

  return (
    <>
      <h1>New run</h1>
      <form className="new-run" onSubmit={submit}>
        <label htmlFor="prompt">Prompt</label>
        <textarea
          id="prompt"
          rows={6}
          value={f.prompt}
          onChange={set("prompt")}
          required={!f.savedPrompt}
          placeholder="What should the agent do?"
        />
        <label htmlFor="title">Title (optional)</label>
        <input id="title" value={f.title} onChange={set("title")} />
        <div className="grid">
          {fields.map(([key, id, label, choices, none]) => (
            <Choice
              key={id}
              id={id}
              label={label}
              value={f[key]}
              onChange={set(key)}
              {...choices}
              none={none}
            />
          ))}
        </div>
        <label className="check">
          <input
            type="checkbox"
            checked={f.personal}
            onChange={(e) => setF((v) => ({ ...v, personal: e.target.checked }))}
          />{" "}
          Personal (only you see it)
        </label>
        <Problem error={create.error} what="The run was not created" />
        <button type="submit" className="primary" disabled={create.isPending}>
          {create.isPending ? "Starting…" : "Start run"}
        </button>
      </form>
    </>
  );
}
