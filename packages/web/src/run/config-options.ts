// The choices of the new-run form, each from its list endpoint; one that cannot be read (a role
// without access) leaves its field a free text box.
import { useQuery } from "@tanstack/react-query";
import { client } from "../lib/api.ts";

export type Option = { value: string; label: string };

const opts = { staleTime: 30_000, retry: false } as const;

export function useRunOptions() {
  const environments = useQuery({
    ...opts,
    queryKey: ["environments"],
    queryFn: async () =>
      (await client.agent.environments.list()).environments.map((e): Option => ({
        value: e.uid,
        label: e.config.name ?? e.uid,
      })),
  });
  const models = useQuery({
    ...opts,
    queryKey: ["models"],
    queryFn: async () => {
      const r = await client.agent.models.list();
      return {
        default: r.default_model_id,
        options: r.models.map((m): Option => ({ value: m.id, label: m.display_name || m.id })),
      };
    },
  });
  const agents = useQuery({
    ...opts,
    queryKey: ["identities"],
    queryFn: async () =>
      (await client.agent.identities.list()).agents.map((a): Option => ({
        value: a.uid,
        label: a.name,
      })),
  });
  const prompts = useQuery({
    ...opts,
    queryKey: ["prompts"],
    queryFn: async () =>
      (await client.agent.prompts.list()).prompts.map((p): Option => ({
        value: p.name,
        label: p.name,
      })),
  });
  const pools = useQuery({
    ...opts,
    queryKey: ["hosts"],
    queryFn: async () =>
      [...new Set((await client.hosts.list()).hosts.map((h) => h.worker_id))].map((w): Option => ({
        value: w,
        label: w,
      })),
  });
  return { environments, models, agents, prompts, pools };
}
