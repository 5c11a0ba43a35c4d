// The page: header (session rates and controls), sidebar (filters), toolbar (actions on the
// selection), the torrent list, the details of one torrent, dialogs, and the login form when
// the daemon asks for a password.
import { useStore } from './hooks.js';
import { ui } from './ui.js';
import { Header } from './components/header.jsx';
import { Sidebar } from './components/sidebar.jsx';
import { Toolbar } from './components/toolbar.jsx';
import { TorrentList } from './components/torrent_list.jsx';
import { Dialogs } from './components/dialogs.jsx';
import { Login } from './components/login.jsx';
import { Details } from './details/details.jsx';

export function App() {
  const store = useStore();
  if (store.connection === 'login') return <Login />;
  return (
    <div class={`app${ui.detailsId !== null ? ' with-details' : ''}`}>
      <Header />
      <Sidebar />
      <main class="main" aria-label="Torrents">
        <Toolbar />
        <TorrentList />
      </main>
      {ui.detailsId !== null && <Details id={ui.detailsId} />}
      <Dialogs />
    </div>
  );
}
