// Add a service account (admins): a non-human member for CI, an integration or hosts, with its role
// and by default a first key (`POST /api-keys {service_account_uid}`) shown once.
import type { CreatedApiKey } from "@ambit/sdk";
import type { ServiceAccount } from "@ambit/protocol";
import { useMutation } from "@tanstack/react-query";
import type { FormEvent } from "react";
import { Problem } from "../components/problem.tsx";
import { client, type Me } from "../lib/api.ts";
import { KeyKindFields, keyKind } from "./key-kind.tsx";
import { KeyOnce } from "./key-once.tsx";
import type { Role } from "./roles.ts";
import { RoleSelect } from "./role-select.tsx";

export function AddServiceAccount({ me, onAdded }: { me: Me; onAdded: () => void }) {
  const add = useMutation({
    mutationFn: async (f: FormData) => {
      const description = String(f.get("description")).trim();
      return client.serviceAccounts.create({
        name: String(f.get("name")).trim(),
        role: f.get("role") as Exclude<Role, "owner">,
        ...(description && { description }),
      });
    },
  });
  // a separate step, as for a member: the account exists even if its key could not be minted
  const mint = useMutation({
    mutationFn: async (v: { account: ServiceAccount; f: FormData }) =>
      client.apiKeys.create({
        name: `${v.account.name} key`.slice(0, 100),
        service_account_uid: v.account.uid,
        ...keyKind(v.f),
      }),
  });
  async function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const form = e.currentTarget;
    const data = new FormData(form);
    mint.reset();
    let account: ServiceAccount;
    try {
      account = await add.mutateAsync(data);
    } catch {
      return; // shown below; the form keeps what was typed
    }
    form.reset();
    onAdded();
    if (data.get("key") === "on") await mint.mutateAsync({ account, f: data }).catch(() => {});
    onAdded();
  }
  const key: CreatedApiKey | undefined = mint.data;
  return (
    <>
      <form className="toolbar" onSubmit={submit} aria-label="Add a service account">
        <label>
          Name <input name="name" required maxLength={100} placeholder="ci" />
        </label>
        <label>
          Description <input name="description" maxLength={500} placeholder="optional" />
        </label>
        <RoleSelect me={me} initial="member" exclude="owner" />
        <label className="check">
          <input type="checkbox" name="key" defaultChecked /> With a key
        </label>
        <KeyKindFields />
        <button type="submit" className="primary" disabled={add.isPending || mint.isPending}>
          Add service account
        </button>
      </form>
      <Problem error={add.error} what="The service account was not added" />
      {add.data && !add.isPending && (
        <p role="status">
          Added the service account {add.data.name} as {add.data.role}.
        </p>
      )}
      <Problem error={mint.error} what="Its API key was not created" />
      {key && (
        <KeyOnce value={key.key} label="The service account's key" testId="account-key-value">
          The key of <strong>{add.data?.name}</strong>: put it where the account works (a CI secret,
          a host's environment); it is not shown again.
        </KeyOnce>
      )}
    </>
  );
}
