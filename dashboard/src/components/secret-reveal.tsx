// A secret the API returns only once (rotated signing secret, source token, api key): shown with a warning.
import { CopyButton } from "./copy-button";

export function SecretReveal({ label, value, onDismiss }: { label: string; value: string; onDismiss: () => void }) {
  return (
    <div className="secret-reveal" role="status">
      <p>
        <strong>{label}</strong> — copy it now; it will not be shown again.
      </p>
      <div className="secret-row">
        <code className="secret-value" data-testid="secret-value">{value}</code>
        <CopyButton text={value} label={`Copy ${label.toLowerCase()}`} />
        <button type="button" className="button small" onClick={onDismiss}>
          Done
        </button>
      </div>
    </div>
  );
}
