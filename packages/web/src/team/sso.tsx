// The team's single sign-on (admins): the provider, who may join and as what, and whether the
// console takes only SSO. The client secret is write-only: blank keeps the stored one.
import type { SsoConfig } from "@ambit/protocol";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { APIError } from "@ambit/sdk";
import type { FormEvent } from "react";
import { Problem } from "../components/problem.tsx";
import { client } from "../lib/api.ts";

const notSet = (err: unknown) => err instanceof APIError && err.status === 404;

export function Sso() {
  const queryClient = useQueryClient();
  const sso = useQuery({
    queryKey: ["team-sso"],
    queryFn: async () =>
      client.team.sso.retrieve().catch((e) => (notSet(e) ? null : Promise.reject(e))),
  });
  const save = useMutation({
    mutationFn: async (f: FormData) => {
      const secret = String(f.get("client_secret") ?? "");
      return client.team.sso.set({
        provider: f.get("provider") === "github" ? "github" : "oidc",
        issuer: String(f.get("issuer") ?? "") || undefined,
        client_id: String(f.get("client_id")),
        ...(secret ? { client_secret: secret } : {}),
        allowed_domains: String(f.get("domains"))
          .split(/[\s,]+/)
          .filter(Boolean),
        default_role: f.get("role") as SsoConfig["default_role"],
        required: f.get("required") === "on",
      });
    },
    onSuccess: (c) => queryClient.setQueryData(["team-sso"], c),
  });
  function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    save.mutate(new FormData(e.currentTarget));
  }
  const c = sso.data;
  return (
    <section aria-labelledby="sso-title">
      <h2 id="sso-title">Single sign-on</h2>
      <Problem error={sso.error} what="Could not read the single sign-on" />
      {c && (
        <p className="help">
          Register <code>{c.redirect_uri}</code> with the provider. People sign in at{" "}
          <a href={c.sign_in_url}>{c.sign_in_url}</a>.
        </p>
      )}
      {sso.isSuccess && (
        <form className="stack" onSubmit={submit} key={c?.updated_at ?? "new"}>
          <label>
            Provider{" "}
            <select name="provider" defaultValue={c?.provider ?? "oidc"}>
              <option value="oidc">OpenID Connect</option>
              <option value="github">GitHub</option>
            </select>
          </label>
          <label>
            Issuer URL (OpenID Connect){" "}
            <input name="issuer" type="url" defaultValue={c?.provider === "oidc" ? c.issuer : ""} />
          </label>
          <label>
            Client id <input name="client_id" required defaultValue={c?.client_id} />
          </label>
          <label>
            Client secret{" "}
            <input
              name="client_secret"
              type="password"
              autoComplete="off"
              required={!c}
              placeholder={c ? "set (leave blank to keep it)" : ""}
            />
          </label>
          <label>
            Allowed email domains{" "}
            <input
              name="domains"
              required
              placeholder="example.com, example.org"
              defaultValue={c?.allowed_domains.join(", ")}
            />
          </label>
          <label>
            New people join as{" "}
            <select name="role" defaultValue={c?.default_role ?? "member"}>
              <option value="viewer">viewer</option>
              <option value="member">member</option>
              <option value="admin">admin</option>
            </select>
          </label>
          <label>
            <input name="required" type="checkbox" defaultChecked={c?.required} /> Require single
            sign-on for the console (API keys keep working)
          </label>
          <button type="submit" disabled={save.isPending}>
            Save single sign-on
          </button>
          {save.isSuccess && <span role="status">Saved.</span>}
        </form>
      )}
      <Problem error={save.error} what="The single sign-on was not saved" />
    </section>
  );
}
