// The lists a form picks a reference from (environments, models, named agents, saved prompts,
// host pools, secrets, skills), each from its list endpoint. A list that cannot be read (a role
// without access) leaves its field a free text box.
import { useQuery } from "@tanstack/react-query";
import { client } from "./api.ts";

export type Option = { value: string; label: string };
/** A field's choices: undefined while they load; `failed` when they cannot be read. */
export type Choices = { options?: Option[]; failed: boolean };

const option = (value: string, label = value): Option => ({ value, label });
const unique = (values: string[]) => [...new Set(values)];

/** Every list a reference is picked from, by name. */
export const LISTS = {
  environments: async () =>
    (await client.agent.environments.list()).environments.map((e) => option(e.uid, e.config.name)),
  models: async () =>
    (await client.agent.models.list()).models.map((m) => option(m.id, m.display_name || m.id)),
  agents: async () =>
    (await client.agent.identities.list()).agents.map((a) => option(a.uid, a.name)),
  prompts: async () => (await client.agent.prompts.list()).prompts.map((p) => option(p.name)),
  // the pools with a host connected now: a pool is a name hosts bring, not a stored object
  pools: async () =>
    unique((await client.hosts.list()).hosts.map((h) => h.worker_id)).map((w) => option(w)),
  // a reference names a secret; a personal one of that name wins over the team's at run time
  secrets: async () =>
    unique((await client.agent.secrets.list()).secrets.map((s) => s.name)).map((n) => option(n)),
  skills: async () =>
    (await client.agent.skills.list()).agents.flatMap((a) =>
      a.variants.map((v) => option(v.id, `${a.name} (${v.id})`)),
    ),
} satisfies Record<string, () => Promise<Option[]>>;
export type ListName = keyof typeof LISTS;

/** The label of `value` among `options`: the value while they load or lack it; "—" for none. */
export const labelOf = (options: Option[] | undefined, value: string | undefined) =>
  !value ? "—" : (options?.find((o) => o.value === value)?.label ?? value);

/** The query key of a list: settings forms invalidate `["choices"]` after a write. */
export const choicesKey = (name: ListName) => ["choices", name] as const;

export function useChoices(name: ListName): Choices {
  const q = useQuery({
    queryKey: choicesKey(name),
    queryFn: LISTS[name],
    staleTime: 30_000,
    retry: false,
  });
  return { options: q.data, failed: q.isError };
}

/** The team's default model, named in a model field's "none" choice. */
export function useDefaultModel(): string | undefined {
  const q = useQuery({
    queryKey: ["models"],
    queryFn: async () => client.agent.models.list(),
    staleTime: 30_000,
    retry: false,
  });
  return q.data?.default_model_id ?? undefined;
}

/** A model field's empty choice: the team's default, named when known. */
export const teamDefault = (model: string | undefined) =>
  `Team default${model ? ` (${model})` : ""}`;

/** The choices of the new-run form. */
export function useRunOptions() {
  return {
    environment: useChoices("environments"),
    model: useChoices("models"),
    defaultModel: useDefaultModel(),
    agent: useChoices("agents"),
    savedPrompt: useChoices("prompts"),
    pool: useChoices("pools"),
  };
}
