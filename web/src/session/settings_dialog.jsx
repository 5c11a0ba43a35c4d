// PLACEHOLDER (skeleton): U2 replaces this file.
export function SettingsDialog() {
  return <div data-placeholder="settings" />;
}
