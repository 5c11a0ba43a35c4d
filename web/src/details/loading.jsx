// What a tab shows before its first reply, or when its fetch failed.
export function Loading({ data, error }) {
  if (error) return <p class="details-error" role="alert">{error}</p>;
  if (!data) return <p class="details-loading" aria-live="polite">Loading…</p>;
  return null;
}
