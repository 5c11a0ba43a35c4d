// Adding torrents: several at once, from .torrent files (picked, or dropped anywhere on the page)
// and links (magnets, http(s) URLs; typed, or pasted anywhere on the page). Each .torrent's files
// are listed at once (parsed in the page) with a checkbox each; a magnet's files once its
// metadata arrives. The download directory shows its free space. One torrent-add per item; each
// item shows its own outcome.
import { useEffect, useRef, useState } from 'preact/hooks';
import { rpc } from '../rpc.js';
import { store, refreshTorrents, showError } from '../store.js';
import { ui } from '../ui.js';
import { formatBytes } from '../format.js';
import { listView } from '../list_model.js';
import { Dialog } from './dialog.jsx';
import { Icon } from './icons.jsx';
import { FileChecklist } from './file_checklist.jsx';
import { MagnetFiles } from './magnet_files.jsx';
import { useFreeSpace } from './free_space.js';
import { fileItem, linkLabel, linkLines, isLink, addResult } from './add_items.js';

export function AddDialog({ onClose }) {
  const [items, setItems] = useState([]); // file items (add_items.js)
  const [links, setLinks] = useState('');
  const [results, setResults] = useState({}); // item key or 'link:N' -> { state, id, name, text }
  const [dir, setDir] = useState(store.session['download-dir'] || '');
  const dirTouched = useRef(false);
  const [paused, setPaused] = useState(store.session['start-added-torrents'] === false);
  const [labelText, setLabelText] = useState('');
  const [phase, setPhase] = useState('edit'); // edit | adding | done
  const phaseRef = useRef(phase);
  phaseRef.current = phase;
  const free = useFreeSpace(dir.trim());
  const fileInput = useRef(null);

  // Files and links handed over by a drop or a paste (ui.dialog.files / .links, with a nonce).
  const incoming = ui.dialog || {};
  useEffect(() => {
    if (phaseRef.current === 'done' && (incoming.files?.length || incoming.links)) {
      // More to add after a round: start a new round with only the new items.
      setItems([]);
      setLinks('');
      setResults({});
      setPhase('edit');
      if (incoming.links) {
        setLinks(incoming.links);
        if (incoming.files?.length) addFiles(incoming.files);
        return;
      }
    }
    if (incoming.files?.length) addFiles(incoming.files);
    if (incoming.links) setLinks((cur) => (cur.trim() ? `${cur.trim()}\n${incoming.links}` : incoming.links));
  }, [incoming.nonce]);

  // The session may arrive after the dialog opened.
  useEffect(() => {
    if (!dirTouched.current && !dir && store.session['download-dir']) setDir(store.session['download-dir']);
  });

  async function addFiles(files) {
    const read = await Promise.all([...files].map(fileItem));
    setItems((cur) => [...cur, ...read]);
  }

  const lines = linkLines(links);
  const badLines = lines.filter((l) => !isLink(l) && !l.startsWith('/'));
  const addable = items.filter((i) => !i.error).length + lines.length;

  async function confirm() {
    if (phase !== 'edit' || !addable) return;
    setPhase('adding');
    const common = { paused };
    if (dir.trim()) common['download-dir'] = dir.trim();
    const labels = [...new Set(labelText.split(',').map((l) => l.trim()).filter(Boolean))];
    if (labels.length) common.labels = labels;
    const out = {};
    const added = [];
    let pendingMagnet = false;
    let failed = false;
    for (const item of items) {
      if (item.error) continue;
      const unwanted = item.wanted.map((w, i) => (w ? -1 : i)).filter((i) => i >= 0);
      try {
        const args = { ...common, metainfo: item.metainfo };
        if (unwanted.length) args['files-unwanted'] = unwanted;
        const r = addResult(await rpc('torrent-add', args));
        out[item.key] = r;
        if (r.id !== undefined) added.push(r.id);
        if (r.state === 'duplicate') failed = true;
      } catch (e) {
        out[item.key] = { state: 'error', text: e.message };
        failed = true;
      }
      setResults({ ...out });
    }
    for (let n = 0; n < lines.length; n++) {
      try {
        const r = addResult(await rpc('torrent-add', { ...common, filename: lines[n] }));
        out[`link:${n}`] = r;
        if (r.id !== undefined) added.push(r.id);
        if (r.state === 'duplicate') failed = true;
        else pendingMagnet = true;
      } catch (e) {
        out[`link:${n}`] = { state: 'error', text: e.message };
        failed = true;
      }
      setResults({ ...out });
    }
    if (added.length) refreshTorrents(added).catch(showError);
    setPhase('done');
    if (!failed && !pendingMagnet) onClose();
  }

  const resultBadge = (r) =>
    r && (
      <span class={`result ${r.state}`} data-add-result={r.state}>
        {r.state === 'added' ? 'Added' : r.state === 'duplicate' ? 'Already added' : r.text}
      </span>
    );

  let n = 0; // the items' data-add-item index: files first, then links
  const editing = phase === 'edit';
  return (
    <Dialog
      kind="add"
      title="Add torrents"
      onClose={onClose}
      wide
      footer={
        phase === 'done' ? (
          <button type="button" class="button primary" data-action="cancel" onClick={onClose}>
            Done
          </button>
        ) : (
          <>
            <button type="button" class="button" data-action="cancel" onClick={onClose}>
              Cancel
            </button>
            <button type="button" class="button primary" data-action="add-confirm" disabled={!addable || phase !== 'edit'} onClick={confirm}>
              {phase === 'adding' ? 'Adding…' : addable > 1 ? `Add ${addable} torrents` : 'Add'}
            </button>
          </>
        )
      }
    >
      {editing && (
        <div class="add-sources">
          <div class="file-pick">
            <input
              ref={fileInput}
              id="add-file"
              class="visually-hidden"
              type="file"
              data-add="file"
              multiple
              accept=".torrent,application/x-bittorrent"
              onChange={(e) => {
                addFiles(e.currentTarget.files);
                e.currentTarget.value = '';
              }}
            />
            <label for="add-file" class="button drop-target">
              <Icon name="upload" />
              <span>Choose .torrent files</span>
            </label>
            <span class="muted small">or drop them anywhere on the page</span>
          </div>
          <label class="field">
            <span>Magnet links or URLs, one per line</span>
            <textarea
              data-add="link"
              rows={3}
              spellcheck={false}
              placeholder="magnet:?xt=urn:btih:…"
              data-autofocus
              value={links}
              onInput={(e) => setLinks(e.currentTarget.value)} onChange={(e) => setLinks(e.currentTarget.value)}
            />
          </label>
          {badLines.length > 0 && <p class="form-error">Not a magnet link or http(s) URL: {badLines[0]}</p>}
        </div>
      )}

      <div class="add-options">
        <label class="field grow">
          <span>Download to</span>
          <input
            data-add="dir"
            value={dir}
            spellcheck={false}
            disabled={!editing}
            onInput={(e) => {
              dirTouched.current = true;
              setDir(e.currentTarget.value);
            }} onChange={(e) => {
              dirTouched.current = true;
              setDir(e.currentTarget.value);
            }}
          />
        </label>
        <p class={`hint free${free.error ? ' error-text' : ''}`} data-add="free" aria-live="polite">
          {free.text}
        </p>
        <label class="field add-labels">
          <span>Labels (comma-separated)</span>
          <input
            data-add="labels"
            value={labelText}
            spellcheck={false}
            disabled={!editing}
            list="add-known-labels"
            onInput={(e) => setLabelText(e.currentTarget.value)}
            onChange={(e) => setLabelText(e.currentTarget.value)}
          />
          <datalist id="add-known-labels">
            {listView().labels.map(([name]) => (
              <option key={name} value={name} />
            ))}
          </datalist>
        </label>
        <label class="check">
          <input type="checkbox" data-add="paused" checked={paused} disabled={!editing} onChange={(e) => setPaused(e.currentTarget.checked)} />
          <span>Start paused</span>
        </label>
      </div>

      {(items.length > 0 || lines.length > 0) && (
        <ul class="add-items">
          {items.map((item) => {
            const r = results[item.key];
            return (
              <li class="add-item" data-add-item={n++} key={item.key}>
                <div class="add-item-head">
                  <Icon name="file" />
                  <span class="add-item-name">{item.label}</span>
                  {item.parsed && <span class="muted small num">{formatBytes(item.parsed.totalSize)}</span>}
                  {resultBadge(r)}
                  {editing && (
                    <button
                      type="button"
                      class="icon-button small"
                      aria-label={`Do not add ${item.label}`}
                      onClick={() => setItems(items.filter((x) => x !== item))}
                    >
                      <Icon name="close" size={14} />
                    </button>
                  )}
                </div>
                {item.error && <p class="form-error">{item.error}</p>}
                {item.parsed && editing && (
                  <FileChecklist
                    files={item.parsed.files}
                    wanted={item.wanted}
                    name={item.parsed.name}
                    onChange={(wanted) => setItems(items.map((x) => (x === item ? { ...x, wanted } : x)))}
                  />
                )}
              </li>
            );
          })}
          {lines.map((line, i) => {
            const r = results[`link:${i}`];
            const magnet = /^magnet:/i.test(line);
            return (
              <li class="add-item" data-add-item={n++} key={`link:${i}:${line}`}>
                <div class="add-item-head">
                  <Icon name={magnet ? 'magnet' : 'file'} />
                  <span class="add-item-name">{linkLabel(line)}</span>
                  {resultBadge(r)}
                </div>
                {editing && magnet && <p class="muted small">Its files are listed once the metadata arrives from peers.</p>}
                {r && r.state === 'added' && r.id !== undefined && <MagnetFiles id={r.id} />}
              </li>
            );
          })}
        </ul>
      )}

    </Dialog>
  );
}
