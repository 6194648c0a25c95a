// Edits one subscription's filter as JSON: the text is checked as JSON while typing, the server's 422 names
// the path of anything else wrong, and "Try it" runs the draft against one of the owner's recent events.
import { useMemo, useState, type FormEvent } from "react";
import type { Subscription } from "../api/types";
import { useApp } from "../lib/app-context";
import { useAction } from "../lib/use-resource";
import { Field } from "./field";
import { FilterTry } from "./filter-try";
import { ProblemView } from "./problem-view";

export const FILTER_EXAMPLE = '{\n  "payload.total": { "$gte": 100 },\n  "payload.currency": { "$in": ["EUR", "USD"] }\n}';

export type ParsedFilter = { ok: true; filter: Record<string, unknown> | null } | { ok: false; message: string };

/** Empty text means "no filter"; anything else must be a JSON object (the server checks the rest). */
export function parseFilterText(text: string): ParsedFilter {
  if (text.trim() === "") return { ok: true, filter: null };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return { ok: false, message: `Not valid JSON: ${(err as Error).message}` };
  }
  if (value === null) return { ok: true, filter: null };
  if (typeof value !== "object" || Array.isArray(value)) return { ok: false, message: "A filter is a JSON object, e.g. { \"payload.total\": { \"$gte\": 100 } }" };
  return { ok: true, filter: value as Record<string, unknown> };
}

export function filterText(filter: Record<string, unknown> | null | undefined): string {
  return filter ? JSON.stringify(filter, null, 2) : "";
}

interface FilterEditorProps {
  sub: Subscription;
  onSaved: () => void;
  onCancel: () => void;
}

export function FilterEditor({ sub, onSaved, onCancel }: FilterEditorProps) {
  const { api } = useApp();
  const [text, setText] = useState(filterText(sub.filter));
  const parsed = useMemo(() => parseFilterText(text), [text]);
  const save = useAction();

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (!parsed.ok) return;
    const ok = await save.run(() => api.patch(`/v1/subscriptions/${sub.id}`, { filter: parsed.filter }));
    if (ok !== undefined) onSaved();
  }

  async function clear() {
    const ok = await save.run(() => api.patch(`/v1/subscriptions/${sub.id}`, { filter: null }));
    if (ok !== undefined) onSaved();
  }

  return (
    <div className="filter-editor" data-testid="filter-editor">
      <form onSubmit={submit} aria-label="Edit filter">
        <Field
          label="Filter (JSON)"
          error={parsed.ok ? undefined : parsed.message}
          hint={
            <>
              Paths into <code>payload</code>, <code>event_type</code>, <code>owner_id</code> with <code>$eq $ne $gt $gte $lt $lte $in $nin $exists
              $startsWith $endsWith $contains</code>, combined with <code>$and $or $not</code>. Empty = every event of the types above.
            </>
          }
        >
          {(id, a11y) => (
            <textarea
              id={id}
              {...a11y}
              className="code-input"
              rows={Math.min(14, Math.max(4, text.split("\n").length + 1))}
              value={text}
              spellCheck={false}
              placeholder={FILTER_EXAMPLE}
              onChange={(e) => {
                setText(e.target.value);
                save.clearError();
              }}
            />
          )}
        </Field>
        <div className="form-actions">
          <button type="submit" className="button small primary" disabled={save.pending || !parsed.ok}>
            {save.pending ? "Saving…" : "Save filter"}
          </button>
          {sub.filter && (
            <button type="button" className="button small" onClick={clear} disabled={save.pending}>
              Remove filter
            </button>
          )}
          <button type="button" className="button small ghost" onClick={onCancel}>
            Cancel
          </button>
        </div>
        {save.error && <ProblemView error={save.error} />}
      </form>
      <FilterTry ownerId={sub.owner_id} parsed={parsed} />
    </div>
  );
}
