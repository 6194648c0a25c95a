// A labelled form control. Every input in the dashboard has a visible label tied to it by id; a server
// validation error for the field is shown under it and announced with the input (aria-describedby).
import { useId, type ReactNode } from "react";

/** Spread onto the input so assistive tech reads the error with it. */
export interface FieldA11y {
  "aria-invalid"?: true;
  "aria-describedby"?: string;
}

interface FieldProps {
  label: string;
  hint?: ReactNode;
  error?: string;
  children: (id: string, a11y: FieldA11y) => ReactNode;
}

export function Field({ label, hint, error, children }: FieldProps) {
  const id = useId();
  const errorId = `${id}-error`;
  const a11y: FieldA11y = error ? { "aria-invalid": true, "aria-describedby": errorId } : {};
  return (
    <div className={error ? "field invalid" : "field"}>
      <label htmlFor={id}>{label}</label>
      {children(id, a11y)}
      {error && (
        <small className="field-error" id={errorId}>
          {error}
        </small>
      )}
      {hint && <small className="hint">{hint}</small>}
    </div>
  );
}

/** Server errors[] by field path ("retry.max_attempts" → message), for forms to place under their inputs. */
export function errorsByPath(errors: { path: string; message: string }[] | undefined): Map<string, string> {
  const byPath = new Map<string, string>();
  for (const e of errors ?? []) if (!byPath.has(e.path)) byPath.set(e.path, e.message);
  return byPath;
}
