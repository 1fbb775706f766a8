// Add a member (admins): their email, name and role, and by default an API key minted for them
// (`POST /api-keys {user_uid}`), its value shown once to hand over — the console's invitation.
import type { CreatedApiKey } from "@ambit/sdk";
import type { Member } from "@ambit/protocol";
import { useMutation } from "@tanstack/react-query";
import type { FormEvent } from "react";
import { Problem } from "../components/problem.tsx";
import { client, type Me } from "../lib/api.ts";
import { KeyOnce } from "./key-once.tsx";
import type { Role } from "./roles.ts";
import { RoleSelect } from "./role-select.tsx";

type Added = { member: Member; key?: CreatedApiKey };

export function AddMember({ me, onAdded }: { me: Me; onAdded: () => void }) {
  const add = useMutation({
    mutationFn: async (f: FormData) => {
      const email = String(f.get("email")).trim();
      const name = String(f.get("display_name")).trim();
      return client.team.members.add({
        email,
        role: f.get("role") as Role,
        ...(name && { display_name: name }),
      });
    },
  });
  // a separate step: a member added without a key is still added, and the page says which failed
  const mint = useMutation({
    mutationFn: async (member: Member) =>
      client.apiKeys.create({
        name: `console key for ${member.email}`.slice(0, 100),
        user_uid: member.uid,
      }),
  });
  async function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const form = e.currentTarget;
    const data = new FormData(form);
    mint.reset();
    let member: Member;
    try {
      member = await add.mutateAsync(data);
    } catch {
      return; // shown below; the form keeps what was typed
    }
    form.reset();
    onAdded();
    if (data.get("key") === "on") await mint.mutateAsync(member).catch(() => undefined);
    onAdded();
  }
  const added: Added | undefined = add.data && { member: add.data, key: mint.data };
  return (
    <>
      <form className="toolbar" onSubmit={submit} aria-label="Add a member">
        <label>
          Email <input name="email" type="email" required maxLength={320} />
        </label>
        <label>
          Name <input name="display_name" maxLength={100} placeholder="optional" />
        </label>
        <RoleSelect me={me} initial="member" />
        <label className="check">
          <input type="checkbox" name="key" defaultChecked /> Give them an API key
        </label>
        <button type="submit" className="primary" disabled={add.isPending || mint.isPending}>
          Add member
        </button>
      </form>
      <Problem error={add.error} what="The member was not added" />
      {added && !add.isPending && (
        <p role="status">
          Added {added.member.email} as {added.member.role}.
        </p>
      )}
      <Problem error={mint.error} what="Their API key was not created" />
      {added?.key && (
        <KeyOnce value={added.key.key} label="The new member's key" testId="member-key-value">
          Hand <strong>{added.member.email}</strong> this key: it signs them in (console or API) and
          is not shown again.
        </KeyOnce>
      )}
    </>
  );
}
