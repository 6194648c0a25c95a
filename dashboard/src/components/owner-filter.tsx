// The owner filter on list pages: free text for the admin key, fixed to its owner for an owner key.
import { useBoundOwner } from "../lib/app-context";
import { Field } from "./field";

export function OwnerFilter({ value, onChange }: { value: string; onChange: (value: string) => void }) {
  const bound = useBoundOwner();
  return (
    <Field label="Owner">
      {(id) =>
        bound ? (
          <input id={id} value={bound} readOnly />
        ) : (
          <input id={id} value={value} placeholder="all owners" onChange={(e) => onChange(e.target.value)} />
        )
      }
    </Field>
  );
}
