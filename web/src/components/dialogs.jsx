// PLACEHOLDER (skeleton): U1 replaces this file.
export function Dialogs() {
  return <div data-placeholder="dialogs" />;
}
