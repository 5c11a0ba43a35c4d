// PLACEHOLDER (skeleton): U1 replaces this file.
export function Sidebar() {
  return <div data-placeholder="sidebar" />;
}
