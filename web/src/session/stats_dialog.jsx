// PLACEHOLDER (skeleton): U2 replaces this file.
export function StatsDialog() {
  return <div data-placeholder="stats" />;
}
