// PLACEHOLDER (skeleton): U1 replaces this file.
export function Toolbar() {
  return <div data-placeholder="toolbar" />;
}
