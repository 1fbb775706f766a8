// The choices of the new-run form, each from its list endpoint; one that cannot be read (a role
// without access) leaves its field a free text box.
import { useQuery } from "@tanstack/react-query";
import { client } from "../lib/api.ts";

export type Option = { value: string; label: string };
/** A field's choices: undefined while they load; `failed` when they cannot be read. */
export type Choices = { options?: Option[]; failed: boolean };

const option = (value: string, label = value): Option => ({ value, label });

function useChoices(key: string, load: () => Promise<Option[]>): Choices {
  const q = useQuery({
    queryKey: ["choices", key],
    queryFn: load,
    staleTime: 30_000,
    retry: false,
  });
  return { options: q.data, failed: q.isError };
}

export function useRunOptions() {
  const models = useQuery({
    queryKey: ["models"],
    queryFn: async () => client.agent.models.list(),
    staleTime: 30_000,
    retry: false,
  });
  return {
    environment: useChoices("environments", async () =>
      (await client.agent.environments.list()).environments.map((e) =>
        option(e.uid, e.config.name),
      ),
    ),
    model: {
      options: models.data?.models.map((m) => option(m.id, m.display_name || m.id)),
      failed: models.isError,
    } satisfies Choices,
    defaultModel: models.data?.default_model_id,
    agent: useChoices("identities", async () =>
      (await client.agent.identities.list()).agents.map((a) => option(a.uid, a.name)),
    ),
    savedPrompt: useChoices("prompts", async () =>
      (await client.agent.prompts.list()).prompts.map((p) => option(p.name)),
    ),
    pool: useChoices("hosts", async () =>
      [...new Set((await client.hosts.list()).hosts.map((h) => h.worker_id))].map((w) => option(w)),
    ),
  };
}
