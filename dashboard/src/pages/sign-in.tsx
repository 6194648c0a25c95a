// Sign-in with an API key: the admin key (all owners) or an owner key (hr_…, one owner).
import { useState, type FormEvent } from "react";
import { ApiError } from "../api/client";
import { signIn, type Session } from "../api/session";
import { ProblemView } from "../components/problem-view";

export function SignInPage({ onSignedIn, notice }: { onSignedIn: (session: Session) => void; notice?: string | null }) {
  const [key, setKey] = useState("");
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setPending(true);
    setError(null);
    try {
      onSignedIn(await signIn(key.trim()));
    } catch (err) {
      setError(err instanceof ApiError ? err : new ApiError({ title: "Sign-in failed", status: 0, detail: String(err) }));
    } finally {
      setPending(false);
    }
  }

  return (
    <main className="sign-in">
      <form className="card sign-in-card" onSubmit={submit}>
        <h1>HookRelay</h1>
        {notice && (
          <p className="warn-text" role="status">
            {notice}
          </p>
        )}
        <p className="muted">Sign in with an API key. The admin key sees every owner; an owner key (hr_…) sees its own.</p>
        <p className="hint-box" data-testid="key-hint">
          Running HookRelay locally with <code>npm start</code>? The admin key is <code>ADMIN_API_KEY</code> in the{" "}
          <code>.dev.vars</code> file of the project folder (the start banner prints it too). Deployed: the value set with{" "}
          <code>wrangler secret put ADMIN_API_KEY</code>.
        </p>
        <div className="field">
          <label htmlFor="api-key">API key</label>
          <input
            id="api-key"
            type="password"
            autoComplete="current-password"
            value={key}
            onChange={(e) => setKey(e.target.value)}
            required
            autoFocus
          />
          <small className="hint">Kept in this tab's session storage only; closing the tab signs you out.</small>
        </div>
        {error && <ProblemView error={error} />}
        <button type="submit" className="button primary" disabled={pending || key.trim() === ""}>
          {pending ? "Checking…" : "Sign in"}
        </button>
      </form>
    </main>
  );
}
