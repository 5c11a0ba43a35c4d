// PLACEHOLDER (skeleton): U1 replaces this file.
export function Header() {
  return <div data-placeholder="header" />;
}
