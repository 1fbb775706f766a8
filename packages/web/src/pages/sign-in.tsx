// Sign in with an API key (a sign-in link lands here only when it failed: `?error=`); afterwards
// back to `?next=`, the page that asked for it.
import { useQueryClient } from "@tanstack/react-query";
import { useNavigate, useSearch } from "@tanstack/react-router";
import { type FormEvent, useState } from "react";

export type SignInSearch = { next?: string; error?: string };

/** Only a path of this site: `/x`, never `//host` or `/\host`. */
export const safeNext = (next: unknown): string | undefined =>
  typeof next === "string" && /^\/(?![/\\])/.test(next) ? next : undefined;

export const parseSignInSearch = (s: Record<string, unknown>): SignInSearch => ({
  next: safeNext(s.next),
  error: typeof s.error === "string" ? s.error : undefined,
});

const LINK_ERRORS: Record<string, string> = {
  link_expired:
    "That sign-in link has expired or was already used. Links work once, for 15 minutes: " +
    "ask for a new one, or sign in with an API key below.",
};

export function SignInPage() {
  const { next, error } = useSearch({ from: "/sign-in" });
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
          {LINK_ERRORS[error] ??
            `Sign-in failed (${error}). Try again, or sign in with an API key below.`}
        </p>
      )}
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
