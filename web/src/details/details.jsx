// PLACEHOLDER (skeleton): U2 replaces this file.
export function Details({ id }) {
  return <aside data-placeholder="details" data-id={id} />;
}
