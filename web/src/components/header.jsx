// The page's header: the product, the session's total rates and its graph, the connection state,
// the alternative speed limits, and the buttons that open add, settings, statistics and help.
import { useEffect } from 'preact/hooks';
import { useStore } from '../hooks.js';
import { formatRate } from '../format.js';
import { openDialog, ui, update } from '../ui.js';
import { toggleAltSpeed } from '../actions.js';
import { hasCredentials } from '../rpc.js';
import { SessionGraph } from '../session/session_graph.jsx';
import { Icon } from './icons.jsx';
import { ThemeButton } from './theme_button.jsx';
import { logout } from './login.jsx';

const CONNECTION = {
  live: { text: 'Live', title: 'Connected: updates are pushed by the daemon' },
  polling: { text: 'Polling', title: 'The event stream is down: asking the daemon every 2 s' },
  offline: { text: 'Offline', title: 'The daemon cannot be reached; retrying' },
  connecting: { text: 'Connecting', title: 'Connecting to the daemon' },
  login: { text: 'Login', title: 'The daemon asks for a password' },
};

export function Header() {
  const store = useStore();
  const s = store.session;
  const stats = store.stats;
  let down = stats.downloadSpeed;
  let up = stats.uploadSpeed;
  if (down === undefined || up === undefined) {
    down = 0;
    up = 0;
    for (const t of store.torrents.values()) {
      down += t.rateDownload || 0;
      up += t.rateUpload || 0;
    }
  }
  const alt = !!s['alt-speed-enabled'];
  // The tab's title carries the rates, as desktop clients' window titles do.
  const title = down || up ? `↓ ${formatRate(down)} ↑ ${formatRate(up)} · tessera` : 'tessera';
  useEffect(() => {
    document.title = title;
  }, [title]);
  const conn = CONNECTION[store.connection] || CONNECTION.connecting;
  return (
    <header class="topbar">
      <button
        type="button"
        class="icon-button menu-button"
        aria-label="Filters"
        aria-expanded={ui.sidebarOpen ? 'true' : 'false'}
        aria-controls="sidebar"
        onClick={() => update({ sidebarOpen: !ui.sidebarOpen })}
      >
        <Icon name="menu" />
      </button>
      <div class="brand">
        <svg class="logo" viewBox="0 0 24 24" width="22" height="22" aria-hidden="true">
          <rect x="2" y="2" width="9" height="9" rx="2" />
          <rect x="13" y="2" width="9" height="9" rx="2" opacity=".55" />
          <rect x="2" y="13" width="9" height="9" rx="2" opacity=".55" />
          <rect x="13" y="13" width="9" height="9" rx="2" />
        </svg>
        <h1 class="brand-name">tessera</h1>
      </div>
      <div class="rates" aria-label="Total transfer rates" role="group">
        <span class="rate down" title="Download rate of all torrents">
          <Icon name="arrowDown" size={14} />
          <span class="num">{formatRate(down)}</span>
        </span>
        <span class="rate up" title="Upload rate of all torrents">
          <Icon name="arrowUp" size={14} />
          <span class="num">{formatRate(up)}</span>
        </span>
      </div>
      <div class="graph-slot">
        <SessionGraph />
      </div>
      <span class={`connection ${store.connection}`} data-connection={store.connection} title={conn.title} role="status">
        <span class="dot" aria-hidden="true" />
        <span class="connection-text">{conn.text}</span>
      </span>
      <div class="spacer" />
      <div class="header-actions">
        <button
          type="button"
          class={`icon-button toggle${alt ? ' on' : ''}`}
          data-action="alt-speed"
          aria-pressed={alt ? 'true' : 'false'}
          aria-label="Alternative speed limits"
          title={`Alternative speed limits${s['alt-speed-down'] !== undefined ? ` (${s['alt-speed-down']} kB/s down, ${s['alt-speed-up']} kB/s up)` : ''}: ${alt ? 'on' : 'off'}`}
          onClick={toggleAltSpeed}
        >
          <Icon name="turtle" />
        </button>
        <button type="button" class="button primary add-button" data-action="add" title="Add torrents (a)" onClick={() => openDialog('add')}>
          <Icon name="plus" />
          <span class="label">Add</span>
        </button>
        <button type="button" class="icon-button" data-action="stats" aria-label="Statistics" title="Statistics" onClick={() => openDialog('stats')}>
          <Icon name="stats" />
        </button>
        <button type="button" class="icon-button" data-action="settings" aria-label="Settings" title="Settings" onClick={() => openDialog('settings')}>
          <Icon name="settings" />
        </button>
        <ThemeButton />
        <button type="button" class="icon-button hide-phone" data-action="help" aria-label="Keyboard shortcuts" title="Keyboard shortcuts (?)" onClick={() => openDialog('help')}>
          <Icon name="help" />
        </button>
        {hasCredentials() && (
          <button type="button" class="icon-button" data-action="logout" aria-label="Log out" title="Log out" onClick={logout}>
            <Icon name="logout" />
          </button>
        )}
      </div>
    </header>
  );
}
