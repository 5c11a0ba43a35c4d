// After a magnet is added: "waiting for metadata" until the daemon has it (the stream's
// metadata-received event, or asking every 2 s), then its files, where unticking one sets it
// unwanted at once (torrent-set files-unwanted / files-wanted).
import { useEffect, useState } from 'preact/hooks';
import { rpc } from '../rpc.js';
import { onStreamEvent, showError } from '../store.js';
import { formatPercent } from '../format.js';
import { FileChecklist } from './file_checklist.jsx';

export function MagnetFiles({ id }) {
  const [info, setInfo] = useState(null); // { name, files, wanted, metadataPercentComplete }

  useEffect(() => {
    let live = true;
    let timer = 0;
    const ask = async () => {
      clearTimeout(timer);
      try {
        const r = await rpc('torrent-get', { ids: [id], fields: ['id', 'name', 'status', 'files', 'wanted', 'metadataPercentComplete'] });
        const t = r.torrents[0];
        if (!live) return;
        if (!t) return setInfo({ gone: true });
        setInfo(t);
        if (t.files && t.files.length) return; // done: the files are known
      } catch (e) {
        if (!live) return;
      }
      timer = setTimeout(ask, 2000);
    };
    ask();
    const off = onStreamEvent((name, data) => {
      if (name === 'metadata-received' && data.id === id) ask();
    });
    return () => {
      live = false;
      clearTimeout(timer);
      off();
    };
  }, [id]);

  if (!info) return <p class="muted small">Asking the daemon…</p>;
  if (info.gone) return <p class="muted small">The torrent was removed.</p>;
  if (!info.files || !info.files.length) {
    if (info.status === 0) {
      return (
        <p class="waiting" data-add-waiting>
          Added paused: its files are listed once it is started and the metadata arrives from peers.
        </p>
      );
    }
    return (
      <p class="waiting" data-add-waiting>
        <span class="spinner" aria-hidden="true" />
        Waiting for metadata from peers{info.metadataPercentComplete ? ` (${formatPercent(info.metadataPercentComplete)})` : ''}…
      </p>
    );
  }
  const files = info.files.map((f, index) => ({ index, path: f.name, length: f.length }));
  const wanted = info.files.map((_, i) => (info.wanted ? !!info.wanted[i] : true));
  return (
    <FileChecklist
      files={files}
      wanted={wanted}
      name={info.name}
      onChange={async (next) => {
        const on = [];
        const off = [];
        next.forEach((w, i) => {
          if (w !== wanted[i]) (w ? on : off).push(i);
        });
        setInfo({ ...info, wanted: next.map((w) => (w ? 1 : 0)) });
        try {
          const args = { ids: [id] };
          if (on.length) args['files-wanted'] = on;
          if (off.length) args['files-unwanted'] = off;
          await rpc('torrent-set', args);
        } catch (e) {
          showError(e);
        }
      }}
    />
  );
}
