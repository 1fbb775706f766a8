// A value to copy (an inbound URL, a secret shown once): read-only, with a copy button.
import { useState } from "react";

export function CopyField(props: { value: string; label: string; testId?: string }) {
  const [copied, setCopied] = useState<string>();
  return (
    <div className="public-link">
      <input readOnly aria-label={props.label} value={props.value} data-testid={props.testId} />
      <button
        type="button"
        onClick={async () => {
          await navigator.clipboard.writeText(props.value);
          setCopied(props.value);
        }}
      >
        {copied === props.value ? "Copied" : "Copy"}
      </button>
    </div>
  );
}
