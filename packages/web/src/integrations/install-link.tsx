// The OAuth install of a Slack or Linear app (admins): a link made for you (signed, once, 10
// minutes), opened by your click in a new tab. The vendor sends you back to the platform, which
// stores the token and says so; this tab reads the integration again when you come back to it.
import { useMutation } from "@tanstack/react-query";
import { Problem } from "../components/problem.tsx";
import { client } from "../lib/api.ts";
import { formatTime } from "../lib/format.ts";
import { type IntegrationType, KINDS } from "./kinds.ts";

export function InstallLink({ uid, type }: { uid: string; type: IntegrationType }) {
  const vendor = KINDS[type].label;
  const link = useMutation({ mutationFn: async () => client.integrations.createInstallLink(uid) });
  return (
    <section aria-labelledby="install-title" className="settings-item">
      <h2 id="install-title">Install in {vendor}</h2>
      <p className="help">
        Make a link, open it and approve the install in {vendor}: the platform stores the token it
        gets back, sealed.
      </p>
      <div className="actions">
        <button type="button" disabled={link.isPending} onClick={() => link.mutate()}>
          {link.data ? "Make a new install link" : "Make an install link"}
        </button>
        {link.data && (
          <a
            className="button primary"
            href={link.data.url}
            target="_blank"
            rel="noopener noreferrer"
            data-testid="install-link"
          >
            Open {vendor}'s install page
          </a>
        )}
      </div>
      {link.data && (
        <p className="help">
          It works once, until {formatTime(link.data.expires_at)}. The app's redirect URL must be{" "}
          <code>{new URL(link.data.url).searchParams.get("redirect_uri")}</code>. Come back here
          once approved.
        </p>
      )}
      <Problem error={link.error} what="No install link" />
    </section>
  );
}
