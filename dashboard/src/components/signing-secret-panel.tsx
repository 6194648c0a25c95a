// An endpoint's Standard Webhooks signing secret: masked until asked for, rotatable (the new one shown once).
import { useState } from "react";
import type { Endpoint } from "../api/types";
import { useApp } from "../lib/app-context";
import { Writable } from "../portal/permissions";
import { formatTime } from "../lib/format";
import { useAction } from "../lib/use-resource";
import { ProblemView } from "./problem-view";
import { SecretReveal } from "./secret-reveal";

export function SigningSecretPanel({ endpoint }: { endpoint: Endpoint }) {
  const { api } = useApp();
  const action = useAction();
  const [rotated, setRotated] = useState<string | null>(null);
  // Masked until asked for: dashboards get screen-shared.
  const [revealed, setRevealed] = useState(false);

  async function rotate() {
    if (!window.confirm("Rotate the signing secret? The old one keeps signing (as a second signature) for 24 hours.")) return;
    const res = await action.run(() => api.post<{ secret: string }>(`/v1/endpoints/${endpoint.id}/rotate-secret`, {}));
    if (res) setRotated(res.secret);
  }

  return (
    <section className="card" aria-labelledby="secret-title">
      <h2 id="secret-title">Signing secret</h2>
      <p className="muted small">Receivers verify the Standard Webhooks signature with it.</p>
      {rotated ? (
        <SecretReveal label="New signing secret" value={rotated} onDismiss={() => setRotated(null)} />
      ) : (
        <div className="secret-row">
          <code className="secret-value" data-testid="endpoint-secret">
            {revealed ? endpoint.secret : `${endpoint.secret.slice(0, 10)}••••••••`}
          </code>
          <button type="button" className="button small ghost" onClick={() => setRevealed((r) => !r)} aria-pressed={revealed}>
            {revealed ? "Hide" : "Show"}
          </button>
        </div>
      )}
      {endpoint.previous_secret_expires_at && !rotated && (
        <p className="muted small">The previous secret also signs until {formatTime(endpoint.previous_secret_expires_at)}.</p>
      )}
      <Writable>
        <button type="button" className="button" onClick={rotate} disabled={action.pending}>
          {action.pending ? "Rotating…" : "Rotate secret"}
        </button>
      </Writable>
      {action.error && <ProblemView error={action.error} />}
    </section>
  );
}
