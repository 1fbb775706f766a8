// Sign in with the team's single sign-on or an API key (a sign-in link or SSO lands here only
// when it failed: `?error=`); afterwards back to `?next=`, the page that asked for it.
import { useQueryClient } from "@tanstack/react-query";
import { useNavigate, useSearch } from "@tanstack/react-router";
import { type FormEvent, useState } from "react";

export type SignInSearch = { next?: string; error?: string; reason?: string; team?: string };

/** Only a path of this site: `/x`, never `//host` or `/\host`. */
export const safeNext = (next: unknown): string | undefined =>
  typeof next === "string" && /^\/(?![/\\])/.test(next) ? next : undefined;

export const parseSignInSearch = (s: Record<string, unknown>): SignInSearch => ({
  next: safeNext(s.next),
  error: typeof s.error === "string" ? s.error : undefined,
  reason: typeof s.reason === "string" ? s.reason : undefined,
  team: typeof s.team === "string" ? s.team.slice(0, 64) : undefined,
});

const LINK_ERRORS: Record<string, string> = {
  link_expired:
    "That sign-in link has expired or was already used. Links work once, for 15 minutes: " +
    "ask for a new one, or sign in with an API key below.",
  sso_required:
    "This team requires single sign-on: sign in with your identity provider below. Sign-in " +
    "links and API keys do not open the console for it (keys still work for the API and CLI).",
};

/** Why a single sign-on was refused (`?error=sso&reason=`, set by the platform's callback). */
const SSO_REASONS: Record<string, string> = {
  not_configured: "This team has no single sign-on; ask an admin, or sign in with an API key.",
  state_mismatch:
    "That answer from the identity provider does not belong to a sign-in this browser " +
    "started. Start again.",
  expired: "That sign-in was already used or took over ten minutes. Start again.",
  provider_error:
    "The identity provider's answer could not be verified. Start again; if it keeps failing, " +
    "tell a team admin.",
  email_not_verified: "Your identity provider has not verified your email address.",
  domain_not_allowed: "Your email's domain may not sign in to this team. Ask a team admin.",
};

const errorText = (error: string, reason?: string) =>
  error === "sso"
    ? (SSO_REASONS[reason ?? ""] ?? "Single sign-on failed. Start again.")
    : (LINK_ERRORS[error] ??
      `Sign-in failed (${error}). Try again, or sign in with an API key below.`);

export function SignInPage() {
  const { next, error, reason, team: teamParam } = useSearch({ from: "/sign-in" });
  const [team, setTeam] = useState(teamParam ?? "");
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [key, setKey] = useState("");
  const [problem, setProblem] = useState<string>();
  const [busy, setBusy] = useState(false);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setProblem(undefined);
    try {
      const res = await fetch("/auth/sign-in", {
        method: "POST",
        headers: { "content-type": "application/json", accept: "application/json" },
        body: JSON.stringify({ api_key: key.trim() }),
      });
      if (!res.ok) {
        const body = (await res.json().catch(() => ({}))) as { detail?: string; title?: string };
        setProblem(body.detail ?? body.title ?? `sign-in failed (${res.status})`);
        return;
      }
      queryClient.clear();
      await navigate({ href: next ?? "/runs", replace: true });
    } catch (err) {
      setProblem(
        `could not reach the platform: ${err instanceof Error ? err.message : String(err)}`,
      );
    } finally {
      setBusy(false);
    }
  }

  return (
    <main className="sign-in">
      <h1>Sign in to Ambit</h1>
      {error && (
        <p role="alert" className="problem">
          {errorText(error, reason)}
        </p>
      )}
      <form method="get" action="/api/v1/auth/sso/start" aria-labelledby="sso-title">
        <h2 id="sso-title">Single sign-on</h2>
        <label htmlFor="sso-team">Team id</label>
        <input
          id="sso-team"
          name="team"
          required
          value={team}
          onChange={(e) => setTeam(e.target.value)}
          aria-describedby="sso-help"
        />
        <input type="hidden" name="next" value={next ?? "/runs"} />
        <p id="sso-help" className="help">
          Your team's id (<code>ambit team get</code>), if its admins set up single sign-on.
        </p>
        <button type="submit" disabled={!team.trim()}>
          Continue with single sign-on
        </button>
      </form>
      <h2>API key</h2>
      <form onSubmit={submit}>
        <label htmlFor="api-key">API key</label>
        <input
          id="api-key"
          name="api_key"
          type="password"
          autoComplete="off"
          placeholder="ambit_…"
          required
          value={key}
          onChange={(e) => setKey(e.target.value)}
          aria-describedby="api-key-help"
        />
        <p id="api-key-help" className="help">
          A personal key of yours (<code>ambit api-key create</code>). A sign-in link from{" "}
          <code>npm start</code> or <code>npm run sign-in-link</code> signs you in without one.
        </p>
        {problem && (
          <p role="alert" className="problem">
            {problem}
          </p>
        )}
        <button type="submit" disabled={busy || !key.trim()}>
          {busy ? "Signing in…" : "Sign in"}
        </button>
      </form>
    </main>
  );
}
