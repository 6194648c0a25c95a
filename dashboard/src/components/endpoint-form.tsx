// The endpoint form, shared by create and edit: URL, timeout, rate limit, auth and retry policy.
import { useState, type FormEvent } from "react";
import type { ApiError } from "../api/client";
import type { AuthChoice, EndpointFormState } from "../lib/endpoint-form-state";
import { formatSeconds } from "../lib/format";
import { errorsByPath, Field } from "./field";
import { ProblemView } from "./problem-view";

interface Props {
  initial: EndpointFormState;
  mode: "create" | "edit";
  /** Owner keys cannot choose the owner; the admin key must name one. */
  ownerEditable: boolean;
  pending: boolean;
  error: ApiError | null;
  submitLabel: string;
  onSubmit: (state: EndpointFormState) => void;
  onCancel?: () => void;
}

type Setter = <K extends keyof EndpointFormState>(key: K, value: EndpointFormState[K]) => void;

export function EndpointForm({ initial, mode, ownerEditable, pending, error, submitLabel, onSubmit, onCancel }: Props) {
  const [s, setState] = useState(initial);
  const set: Setter = (key, value) => setState((prev) => ({ ...prev, [key]: value }));
  const errs = errorsByPath(error?.problem.errors);

  function submit(e: FormEvent) {
    e.preventDefault();
    onSubmit(s);
  }

  return (
    <form className="form" onSubmit={submit} aria-label={mode === "create" ? "New endpoint" : "Edit endpoint"}>
      <fieldset>
        <legend>Destination</legend>
        {!s.relay && (
          <Field label="URL" error={errs.get("url")} hint="Where HookRelay POSTs each event. https, unless this deployment allows private URLs.">
            {(id, a11y) => <input id={id} {...a11y} type="url" required value={s.url} onChange={(e) => set("url", e.target.value)} placeholder="https://example.com/hook" />}
          </Field>
        )}
        {mode === "create" && (
          <Field label="Owner" error={errs.get("owner_id")} hint={ownerEditable ? "Events of this owner reach the endpoint." : "Your key's owner."}>
            {(id, a11y) => <input id={id} {...a11y} required value={s.owner_id} readOnly={!ownerEditable} onChange={(e) => set("owner_id", e.target.value)} />}
          </Field>
        )}
        <Field label="Description" error={errs.get("description")}>
          {(id, a11y) => <input id={id} {...a11y} value={s.description} onChange={(e) => set("description", e.target.value)} />}
        </Field>
        <Field label="Timeout (ms)" error={errs.get("timeout_ms")} hint="1000–30000. The whole response must arrive within it.">
          {(id, a11y) => <input id={id} {...a11y} type="number" inputMode="numeric" value={s.timeout_ms} onChange={(e) => set("timeout_ms", e.target.value)} />}
        </Field>
      </fieldset>

      <RateLimitFields s={s} set={set} errs={errs} />
      <AuthFields s={s} set={set} mode={mode} errs={errs} />
      <RetryFields s={s} set={set} errs={errs} />

      {error && <ProblemView error={error} />}
      <div className="form-actions">
        <button type="submit" className="button primary" disabled={pending}>
          {pending ? "Saving…" : submitLabel}
        </button>
        {onCancel && (
          <button type="button" className="button" onClick={onCancel}>
            Cancel
          </button>
        )}
      </div>
    </form>
  );
}

type Errors = Map<string, string>;

function RateLimitFields({ s, set, errs }: { s: EndpointFormState; set: Setter; errs: Errors }) {
  return (
    <fieldset>
      <legend>Rate limit</legend>
      <label className="check">
        <input type="checkbox" checked={s.rate_limited} onChange={(e) => set("rate_limited", e.target.checked)} /> Limit the request rate
      </label>
      {s.rate_limited && (
        <div className="inline-fields">
          <Field label="Requests" error={errs.get("rate_limit.requests")}>
            {(id, a11y) => <input id={id} {...a11y} type="number" min={1} value={s.rate_requests} onChange={(e) => set("rate_requests", e.target.value)} />}
          </Field>
          <Field label="Per seconds" error={errs.get("rate_limit.per_seconds")}>
            {(id, a11y) => <input id={id} {...a11y} type="number" min={1} value={s.rate_per_seconds} onChange={(e) => set("rate_per_seconds", e.target.value)} />}
          </Field>
        </div>
      )}
    </fieldset>
  );
}

const AUTH_LABELS: Record<AuthChoice, string> = {
  keep: "Keep the current authentication",
  none: "None",
  basic: "Basic (username and password)",
  bearer: "Bearer token",
  header: "Custom header",
};

function AuthFields({ s, set, mode, errs }: { s: EndpointFormState; set: Setter; mode: "create" | "edit"; errs: Errors }) {
  const choices = (Object.keys(AUTH_LABELS) as AuthChoice[]).filter((c) => c !== "keep" || mode === "edit");
  return (
    <fieldset>
      <legend>Authentication</legend>
      <Field label="Sent with each request" hint={mode === "edit" ? "Stored credentials are never shown; choose a type to replace them." : undefined}>
        {(id) => (
          <select id={id} value={s.auth} onChange={(e) => set("auth", e.target.value as AuthChoice)}>
            {choices.map((c) => (
              <option key={c} value={c}>
                {AUTH_LABELS[c]}
              </option>
            ))}
          </select>
        )}
      </Field>
      {s.auth === "basic" && (
        <div className="inline-fields">
          <Field label="Username" error={errs.get("auth.username")}>{(id, a11y) => <input id={id} {...a11y} value={s.auth_username} onChange={(e) => set("auth_username", e.target.value)} />}</Field>
          <Field label="Password" error={errs.get("auth.password")}>
            {(id, a11y) => <input id={id} {...a11y} type="password" autoComplete="new-password" value={s.auth_password} onChange={(e) => set("auth_password", e.target.value)} />}
          </Field>
        </div>
      )}
      {s.auth === "bearer" && (
        <Field label="Token" error={errs.get("auth.token")}>{(id, a11y) => <input id={id} {...a11y} type="password" autoComplete="off" value={s.auth_token} onChange={(e) => set("auth_token", e.target.value)} />}</Field>
      )}
      {s.auth === "header" && (
        <div className="inline-fields">
          <Field label="Header name" error={errs.get("auth.name")}>{(id, a11y) => <input id={id} {...a11y} value={s.auth_header_name} onChange={(e) => set("auth_header_name", e.target.value)} />}</Field>
          <Field label="Header value" error={errs.get("auth.value")}>
            {(id, a11y) => <input id={id} {...a11y} type="password" autoComplete="off" value={s.auth_header_value} onChange={(e) => set("auth_header_value", e.target.value)} />}
          </Field>
        </div>
      )}
    </fieldset>
  );
}

/** The waits the exponential policy produces, so the numbers typed mean something at a glance. */
function exponentialPreview(s: EndpointFormState): string {
  const base = Number(s.base_delay_s);
  const mult = Number(s.multiplier);
  const max = Number(s.max_delay_s);
  const attempts = Number(s.max_attempts);
  if (![base, mult, max, attempts].every(Number.isFinite) || attempts < 2) return "";
  const waits: string[] = [];
  for (let i = 0; i < Math.min(attempts - 1, 10); i++) waits.push(formatSeconds(Math.round(Math.min(base * mult ** i, max))));
  return `Waits: ${waits.join(", ")}${attempts - 1 > 10 ? ", …" : ""}${s.jitter ? " (±20 % jitter)" : ""}`;
}

function RetryFields({ s, set, errs }: { s: EndpointFormState; set: Setter; errs: Errors }) {
  return (
    <fieldset>
      <legend>Retry policy</legend>
      <div className="inline-fields">
        <Field label="Strategy">
          {(id) => (
            <select id={id} value={s.retry_strategy} onChange={(e) => set("retry_strategy", e.target.value as "exponential" | "constant")}>
              <option value="exponential">Exponential</option>
              <option value="constant">Constant</option>
            </select>
          )}
        </Field>
        <Field label="Max attempts" error={errs.get("retry.max_attempts")} hint="Counts the first attempt.">
          {(id, a11y) => <input id={id} {...a11y} type="number" min={1} value={s.max_attempts} onChange={(e) => set("max_attempts", e.target.value)} />}
        </Field>
      </div>
      {s.retry_strategy === "exponential" ? (
        <div className="inline-fields">
          <Field label="Base delay (s)" error={errs.get("retry.base_delay_s")}>{(id, a11y) => <input id={id} {...a11y} type="number" min={0} value={s.base_delay_s} onChange={(e) => set("base_delay_s", e.target.value)} />}</Field>
          <Field label="Multiplier" error={errs.get("retry.multiplier")}>{(id, a11y) => <input id={id} {...a11y} type="number" min={1} step="any" value={s.multiplier} onChange={(e) => set("multiplier", e.target.value)} />}</Field>
          <Field label="Max delay (s)" error={errs.get("retry.max_delay_s")}>{(id, a11y) => <input id={id} {...a11y} type="number" min={0} value={s.max_delay_s} onChange={(e) => set("max_delay_s", e.target.value)} />}</Field>
        </div>
      ) : (
        <Field label="Delay (s)" error={errs.get("retry.delay_s")}>{(id, a11y) => <input id={id} {...a11y} type="number" min={0} value={s.delay_s} onChange={(e) => set("delay_s", e.target.value)} />}</Field>
      )}
      <label className="check">
        <input type="checkbox" checked={s.jitter} onChange={(e) => set("jitter", e.target.checked)} /> Jitter (randomize each wait by ±20 %)
      </label>
      {s.retry_strategy === "exponential" && <p className="hint">{exponentialPreview(s)}</p>}
    </fieldset>
  );
}
