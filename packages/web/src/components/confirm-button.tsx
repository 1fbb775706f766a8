// A destructive action behind a confirmation in a modal dialog: the dialog focuses the safe
// choice, Escape or that choice closes it, and the API's refusal is shown inside it.
import { useMutation } from "@tanstack/react-query";
import { type ReactNode, useId, useRef } from "react";
import { Problem } from "./problem.tsx";

export function ConfirmButton(props: {
  /** the button that opens the dialog */
  label: string;
  title: string;
  children: ReactNode;
  /** the safe choice, and the action's own button (with its text while it runs) */
  keep: string;
  confirm: string;
  pending: string;
  /** what failed, before the problem's detail */
  what: string;
  action: () => PromiseLike<unknown>;
  onDone?: () => unknown;
}) {
  const dialog = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  const run = useMutation({
    mutationFn: async () => props.action(),
    onSuccess: async () => {
      dialog.current?.close();
      await props.onDone?.();
    },
  });
  return (
    <>
      <button type="button" className="danger" onClick={() => dialog.current?.showModal()}>
        {props.label}
      </button>
      <dialog ref={dialog} aria-labelledby={titleId}>
        <h2 id={titleId}>{props.title}</h2>
        {props.children}
        <Problem error={run.error} what={props.what} />
        <div className="actions">
          {/* biome-ignore lint/a11y/noAutofocus: a confirmation dialog focuses its safe choice (WAI-ARIA dialog pattern) */}
          <button type="button" autoFocus onClick={() => dialog.current?.close()}>
            {props.keep}
          </button>
          <button
            type="button"
            className="danger"
            disabled={run.isPending}
            onClick={() => run.mutate()}
          >
            {run.isPending ? props.pending : props.confirm}
          </button>
        </div>
      </dialog>
    </>
  );
}
