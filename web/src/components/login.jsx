// The login form, shown when the daemon answers 401: the credentials are checked with one
// session-get, kept for this tab (rpc.setCredentials), and the page connects again.
import { useEffect, useRef, useState } from 'preact/hooks';
import { rpc, setCredentials } from '../rpc.js';
import { store, changed, connect, disconnect } from '../store.js';

export function logout() {
  setCredentials('', '');
  disconnect();
  store.connection = 'login';
  store.torrents.clear();
  changed();
}

export function Login() {
  const [user, setUser] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const userField = useRef(null);
  useEffect(() => userField.current?.focus(), []);

  async function submit(e) {
    e.preventDefault();
    setBusy(true);
    setError('');
    setCredentials(user, password);
    try {
      await rpc('session-get', { fields: ['version'] });
      store.connection = 'connecting';
      changed();
      connect();
    } catch (err) {
      setCredentials('', '');
      store.connection = 'login'; // a 401 above set it already; a network error did not
      setError(
        err.status === 401
          ? 'Wrong user name or password.'
          : err.status === 403
            ? 'The daemon refuses this address (not in its whitelist, or locked out after failed logins).'
            : err.message,
      );
      setBusy(false);
    }
  }

  return (
    <main class="login-page">
      <form class="login" onSubmit={submit} aria-labelledby="login-title">
        <div class="brand big">
          <svg class="logo" viewBox="0 0 24 24" width="32" height="32" aria-hidden="true">
            <rect x="2" y="2" width="9" height="9" rx="2" />
            <rect x="13" y="2" width="9" height="9" rx="2" opacity=".55" />
            <rect x="2" y="13" width="9" height="9" rx="2" opacity=".55" />
            <rect x="13" y="13" width="9" height="9" rx="2" />
          </svg>
          <h1 id="login-title">tessera</h1>
        </div>
        <p class="muted">The daemon asks for a user name and password.</p>
        <label class="field">
          <span>User name</span>
          <input ref={userField} data-login="user" autocomplete="username" defaultValue={user} onInput={(e) => setUser(e.currentTarget.value)} onChange={(e) => setUser(e.currentTarget.value)} />
        </label>
        <label class="field">
          <span>Password</span>
          <input data-login="password" type="password" autocomplete="current-password" defaultValue={password} onInput={(e) => setPassword(e.currentTarget.value)} onChange={(e) => setPassword(e.currentTarget.value)} />
        </label>
        {error && (
          <p class="form-error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" class="button primary wide" data-action="login" disabled={busy}>
          {busy ? 'Logging in…' : 'Log in'}
        </button>
      </form>
    </main>
  );
}
