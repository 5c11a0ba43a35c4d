// PLACEHOLDER (skeleton): U1 replaces this file.
export function Login() {
  return <div data-placeholder="login" />;
}
