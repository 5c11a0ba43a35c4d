// PLACEHOLDER (skeleton): U2 replaces this file.
export function SessionGraph() {
  return <div data-placeholder="session-graph" />;
}
