// Who besides the creator sees and steers the run: team access, a read-only public link (copy it).
import type { RunSharing } from "@ambit/sdk";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useRef, useState } from "react";
import { Problem } from "../components/problem.tsx";
import { client } from "../lib/api.ts";

/**
 * The console's page for a public link (`/share/<id>`), which a person opens; the API's
 * `public_url` (`/api/v1/public/runs/<id>`) stays what programs read.
 */
const pageOf = (publicUrl: string) =>
  `${window.location.origin}/share/${publicUrl.split("/").at(-1)}`;

export function ShareDialog({ runId, sharing }: { runId: string; sharing?: RunSharing }) {
  const dialog = useRef<HTMLDialogElement>(null);
  const queryClient = useQueryClient();
  const [team, setTeam] = useState(sharing?.team ?? "VIEWER");
  const [pub, setPub] = useState(sharing?.public ?? "NONE");
  const [copied, setCopied] = useState(false);
  const save = useMutation({
    mutationFn: async () => client.agent.runs.share(runId, { team, public: pub }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ["run", runId] }),
  });
  const apiLink =
    save.data?.public_url ?? (pub === sharing?.public ? sharing?.public_url : undefined);
  const link = apiLink && pageOf(apiLink);

  function open() {
    setTeam(sharing?.team ?? "VIEWER");
    setPub(sharing?.public ?? "NONE");
    save.reset();
    setCopied(false);
    dialog.current?.showModal();
  }
  function submit(e: FormEvent) {
    e.preventDefault();
    save.mutate();
  }
  async function copy() {
    await navigator.clipboard.writeText(link!);
    setCopied(true);
  }

  return (
    <>
      <button type="button" onClick={open}>
        Share
      </button>
      <dialog ref={dialog} aria-labelledby="share-title">
        <form onSubmit={submit} className="share">
          <h2 id="share-title">Share this run</h2>
          <label htmlFor="share-team">Your team</label>
          <select
            id="share-team"
            value={team}
            onChange={(e) => setTeam(e.target.value as typeof team)}
          >
            <option value="NONE">Cannot see it</option>
            <option value="VIEWER">Can watch</option>
            <option value="EDITOR">Can watch and steer</option>
          </select>
          <label htmlFor="share-public">Public link</label>
          <select
            id="share-public"
            value={pub}
            onChange={(e) => setPub(e.target.value as typeof pub)}
          >
            <option value="NONE">Off</option>
            <option value="VIEWER">Anyone with the link can watch</option>
          </select>
          {link && (
            <p className="public-link">
              <input
                aria-label="Public link"
                readOnly
                value={link}
                onFocus={(e) => e.target.select()}
              />
              <button type="button" onClick={copy}>
                {copied ? "Copied" : "Copy"}
              </button>
            </p>
          )}
          <Problem error={save.error} what="Sharing was not changed" />
          {save.isSuccess && <p role="status">Saved.</p>}
          <div className="actions">
            <button type="button" onClick={() => dialog.current?.close()}>
              Close
            </button>
            <button type="submit" className="primary" disabled={save.isPending}>
              {save.isPending ? "Saving…" : "Save"}
            </button>
          </div>
        </form>
      </dialog>
    </>
  );
}
