// The page: header (session rates and controls), sidebar (filters), toolbar (actions on the
// selection), the torrent list, the details of one torrent, dialogs, and the login form when
// the daemon asks for a password.
import { useEffect, useState } from 'preact/hooks';
import { useStore } from './hooks.js';
import { ui } from './ui.js';
import { Header } from './components/header.jsx';
import { Sidebar } from './components/sidebar.jsx';
import { Toolbar } from './components/toolbar.jsx';
import { TorrentList } from './components/torrent_list.jsx';
import { Dialogs } from './components/dialogs.jsx';
import { Login } from './components/login.jsx';
import { MessageBar } from './components/message_bar.jsx';
import { ContextMenu } from './components/context_menu.jsx';
import { DropOverlay } from './components/drop_overlay.jsx';
import { installDropAndPaste } from './drop_and_paste.js';
import { installShortcuts } from './shortcuts.js';
import { Details } from './details/details.jsx';

export function App() {
  const store = useStore();
  const [dragging, setDragging] = useState(false);
  useEffect(() => installDropAndPaste(setDragging), []);
  useEffect(() => installShortcuts(), []);
  if (store.connection === 'login') return <Login />;
  return (
    <div class={`app${ui.detailsId !== null ? ' with-details' : ''}`}>
      <Header />
      <Sidebar />
      <main class="main" aria-label="Torrents">
        <MessageBar />
        <Toolbar />
        <TorrentList />
        <ContextMenu />
      </main>
      {ui.detailsId !== null && (
        <div class="details-pane">
          <Details id={ui.detailsId} />
        </div>
      )}
      <Dialogs />
      {dragging && <DropOverlay />}
    </div>
  );
}
