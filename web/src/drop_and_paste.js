// Adding from anywhere on the page: a drop of .torrent files (with a visible overlay while
// dragging) and a paste of magnet links or http(s) URLs outside text fields. Both open the add
// dialog, or hand it more when it is open already.
import { ui, update } from './ui.js';
import { isLink } from './components/add_items.js';

let nonce = 0;

/** Opens (or feeds) the add dialog with Files and/or a links text. */
export function openAdd({ files = [], links = '' } = {}) {
  const d = ui.dialog && ui.dialog.kind === 'add' ? ui.dialog : { kind: 'add' };
  update({ dialog: { ...d, kind: 'add', files, links, nonce: ++nonce } });
}

const hasFiles = (e) => [...(e.dataTransfer?.types || [])].includes('Files');

function isTextField(el) {
  if (!el) return false;
  if (el.isContentEditable) return true;
  if (el.tagName === 'TEXTAREA') return true;
  if (el.tagName !== 'INPUT') return false;
  return !['checkbox', 'radio', 'button', 'submit', 'file', 'range', 'color', 'reset'].includes(el.type);
}

/** Installs the listeners; `setDragging(bool)` shows or hides the overlay. */
export function installDropAndPaste(setDragging) {
  let depth = 0;
  const enter = (e) => {
    if (!hasFiles(e)) return;
    e.preventDefault();
    if (depth++ === 0) setDragging(true);
  };
  const over = (e) => {
    if (!hasFiles(e)) return;
    e.preventDefault();
    e.dataTransfer.dropEffect = 'copy';
  };
  const leave = (e) => {
    if (!hasFiles(e)) return;
    if (--depth <= 0) {
      depth = 0;
      setDragging(false);
    }
  };
  const drop = (e) => {
    if (!hasFiles(e)) return;
    e.preventDefault();
    depth = 0;
    setDragging(false);
    const files = [...e.dataTransfer.files];
    const torrents = files.filter((f) => /\.torrent$/i.test(f.name) || f.type === 'application/x-bittorrent');
    const text = e.dataTransfer.getData('text/plain') || '';
    const links = text.split(/\s+/).filter(isLink).join('\n');
    if (torrents.length || links) openAdd({ files: torrents, links });
    else if (files.length) openAdd({ files }); // the dialog says why they are refused
  };
  const paste = (e) => {
    if (isTextField(e.target) || isTextField(document.activeElement)) return;
    const text = e.clipboardData?.getData('text/plain') || '';
    const links = text.split(/\s+/).filter(isLink);
    const files = [...(e.clipboardData?.files || [])].filter((f) => /\.torrent$/i.test(f.name));
    if (!links.length && !files.length) return;
    e.preventDefault();
    openAdd({ files, links: links.join('\n') });
  };
  window.addEventListener('dragenter', enter);
  window.addEventListener('dragover', over);
  window.addEventListener('dragleave', leave);
  window.addEventListener('drop', drop);
  document.addEventListener('paste', paste);
  return () => {
    window.removeEventListener('dragenter', enter);
    window.removeEventListener('dragover', over);
    window.removeEventListener('dragleave', leave);
    window.removeEventListener('drop', drop);
    document.removeEventListener('paste', paste);
  };
}

export { isTextField };
