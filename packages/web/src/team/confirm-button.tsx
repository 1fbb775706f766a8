// A destructive action behind a confirmation in a modal dialog (Escape or "Keep" closes it).
import { useMutation } from "@tanstack/react-query";
import { useId, useRef } from "react";
import { Problem } from "../components/problem.tsx";

export function ConfirmButton(props: {
  label: string;
  title: string;
  body: string;
  confirm: string;
  action: () => PromiseLike<unknown>;
  onDone: () => void;
}) {
  const dialog = useRef<HTMLDialogElement>(null);
  const id = useId();
  const run = useMutation({
    mutationFn: async () => props.action(),
    onSuccess: () => {
      dialog.current?.close();
      props.onDone();
    },
  });
  return (
    <>
      <button type="button" className="danger" onClick={() => dialog.current?.showModal()}>
        {props.label}
      </button>
      <dialog ref={dialog} aria-labelledby={id}>
        <h2 id={id}>{props.title}</h2>
        <p>{props.body}</p>
        <Problem error={run.error} what="Not done" />
        <div className="actions">
          {/* biome-ignore lint/a11y/noAutofocus: a confirmation dialog focuses its safe choice (WAI-ARIA dialog pattern) */}
          <button type="button" autoFocus onClick={() => dialog.current?.close()}>
            Keep
          </button>
          <button
            type="button"
            className="danger"
            disabled={run.isPending}
            onClick={() => run.mutate()}
          >
            {props.confirm}
          </button>
        </div>
      </dialog>
    </>
  );
}
