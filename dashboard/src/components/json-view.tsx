// Pretty-printed JSON (or plain text) in a scrollable, copyable block.
import { prettyJson } from "../lib/format";
import { CopyButton } from "./copy-button";

export function JsonView({ value, label }: { value: unknown; label: string }) {
  const text = typeof value === "string" ? value : prettyJson(value);
  return (
    <figure className="code-block">
      <figcaption>
        <span>{label}</span>
        <CopyButton text={text} label={`Copy ${label.toLowerCase()}`} />
      </figcaption>
      <pre tabIndex={0} aria-label={label}>
        <code>{text}</code>
      </pre>
    </figure>
  );
}

/** A response body: JSON is pretty-printed when it parses, anything else is shown as sent. */
export function BodyView({ body, label }: { body: string | null; label: string }) {
  if (body === null || body === "") return <p className="muted">{label}: empty</p>;
  let value: unknown = body;
  try {
    value = JSON.parse(body);
  } catch {
    // not JSON: show verbatim
  }
  return <JsonView value={value} label={label} />;
}
