// A new API key's value, shown once with a copy button: the API never returns it again.
import type { CreatedApiKey } from "@ambit/sdk";
import { type ReactNode, useState } from "react";

export function KeyOnce(props: {
  created: CreatedApiKey;
  /** the value's accessible name and test id, distinct where two forms can show one */
  label: string;
  testId: string;
  children: ReactNode;
}) {
  const { created, children } = props;
  const [copied, setCopied] = useState<string>();
  return (
    <div className="banner new-key" role="status">
      <p>{children}</p>
      <div className="public-link">
        <input readOnly aria-label={props.label} value={created.key} data-testid={props.testId} />
        <button
          type="button"
          onClick={async () => {
            await navigator.clipboard.writeText(created.key);
            setCopied(created.key);
          }}
        >
          {copied === created.key ? "Copied" : "Copy"}
        </button>
      </div>
    </div>
  );
}
