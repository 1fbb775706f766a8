// `ambit login --web` lands here (`/login/device?code=WDJB-MJHT`): the signed-in person checks
// the code their terminal shows and approves; the CLI then receives an API key of theirs, named
// after the machine (listed, and revocable, with the team's keys).
import { useMutation, useQuery } from "@tanstack/react-query";
import { useSearch } from "@tanstack/react-router";
import { Problem } from "../components/problem.tsx";
import { client } from "../lib/api.ts";

export type DeviceLoginSearch = { code?: string };
export const parseDeviceLoginSearch = (s: Record<string, unknown>): DeviceLoginSearch => ({
  code: typeof s.code === "string" ? s.code.slice(0, 20) : undefined,
});

export function DeviceLoginPage() {
  const { code } = useSearch({ from: "/app/login/device" });
  const login = useQuery({
    queryKey: ["device-login", code],
    queryFn: async () => client.auth.device.retrieve(code!),
    enabled: !!code,
    retry: false,
  });
  const decide = useMutation({
    mutationFn: async (approve: boolean) => client.auth.device.decide(code!, { approve }),
  });
  return (
    <>
      <h1>Sign in the CLI</h1>
      {!code && (
        <p className="help">
          Run <code>ambit login --web</code>: it opens this page with its code.
        </p>
      )}
      <Problem error={login.error} what="This code cannot be approved" />
      {login.data && !decide.isSuccess && (
        <section aria-labelledby="device-title">
          <h2 id="device-title">
            Code <code>{login.data.user_code}</code>
          </h2>
          <p>
            The CLI on <strong>{login.data.client_name}</strong> asks to sign in as you. Approve
            only if your terminal shows this same code. It receives an API key of yours named after
            the machine; revoke it with the team's API keys.
          </p>
          <div className="toolbar">
            <button type="button" onClick={() => decide.mutate(true)} disabled={decide.isPending}>
              Approve
            </button>
            <button type="button" onClick={() => decide.mutate(false)} disabled={decide.isPending}>
              Deny
            </button>
          </div>
        </section>
      )}
      {decide.isSuccess && (
        <p role="status">
          {decide.variables
            ? "Approved: the CLI is signed in. You may close this page."
            : "Denied."}
        </p>
      )}
      <Problem error={decide.error} what="The decision was not recorded" />
    </>
  );
}
