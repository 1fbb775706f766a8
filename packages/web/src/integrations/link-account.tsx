// "Link my account" (members, Slack): a one-time code to type in Slack, so that Slack user acts as
// you there. Shown once; it works for 10 minutes.
import { useMutation } from "@tanstack/react-query";
import { Problem } from "../components/problem.tsx";
import { client } from "../lib/api.ts";
import { formatTime } from "../lib/format.ts";
import { KeyOnce } from "../team/key-once.tsx";

export function LinkAccount({ uid }: { uid: string }) {
  const code = useMutation({ mutationFn: async () => client.integrations.createLinkCode(uid) });
  return (
    <section aria-labelledby="link-title" className="settings-item">
      <h2 id="link-title">Link my account</h2>
      <p className="help">
        Slack users Ambit cannot match to a member by their confirmed email link themselves once.
      </p>
      <div className="actions">
        <button type="button" disabled={code.isPending} onClick={() => code.mutate()}>
          Make a link code
        </button>
      </div>
      {code.data && (
        <KeyOnce value={code.data.code} label="Link code" testId="link-code">
          {code.data.instructions} — once, until {formatTime(code.data.expires_at)}.
        </KeyOnce>
      )}
      <Problem error={code.error} what="No link code" />
    </section>
  );
}
