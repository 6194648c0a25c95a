// The "next page" button for cursor lists.
export function LoadMore({ cursor, loading, onLoad }: { cursor: string | null; loading: boolean; onLoad: () => void }) {
  if (!cursor) return null;
  return (
    <div className="load-more">
      <button type="button" className="button" onClick={onLoad} disabled={loading}>
        {loading ? "Loading…" : "Load more"}
      </button>
    </div>
  );
}
