// Create an API key: its value is shown here once, with a copy button, and never again.
import type { CreatedApiKey } from "@ambit/sdk";
import { useMutation } from "@tanstack/react-query";
import type { FormEvent } from "react";
import { Problem } from "../components/problem.tsx";
import { client, type Me } from "../lib/api.ts";
import { KeyOnce } from "./key-once.tsx";
import { KeyKindFields, keyKind } from "./key-kind.tsx";
import type { Role } from "./roles.ts";
import { RoleSelect } from "./role-select.tsx";

export function NewKey({ me, onCreated }: { me: Me; onCreated: () => void }) {
  const create = useMutation({
    mutationFn: async (f: FormData) => {
      const days = Number(f.get("days"));
      return client.apiKeys.create({
        name: String(f.get("name")),
        role: f.get("role") as Role,
        ...(days ? { expires_in_days: days } : {}),
        ...keyKind(f),
      });
    },
    onSuccess: onCreated,
  });
  function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    create.mutate(new FormData(e.currentTarget));
    e.currentTarget.reset();
  }
  const created: CreatedApiKey | undefined = create.data;
  return (
    <>
      <form className="toolbar" onSubmit={submit} aria-label="New API key">
        <label>
          Name <input name="name" required maxLength={100} placeholder="ci" />
        </label>
        <RoleSelect me={me} initial={me.role === "owner" ? "member" : (me.role as Role)} />
        <KeyKindFields />
        <label>
          Expires in days <input name="days" type="number" min={1} max={3650} size={5} />
        </label>
        <button type="submit" className="primary" disabled={create.isPending}>
          Create key
        </button>
      </form>
      <Problem error={create.error} what="The key was not created" />
      {created && (
        <KeyOnce value={created.key} label="New key value" testId="key-value">
          The key <strong>{created.name}</strong>: copy it now, it is not shown again.
        </KeyOnce>
      )}
    </>
  );
}
