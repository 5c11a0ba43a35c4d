// A torrent's files with a checkbox each (data-add-file=INDEX, the file's index in the torrent),
// sizes, and select all / none. `files`: [{index, path, length}]; `wanted`: bools by index.
import { useState } from 'preact/hooks';
import { formatBytes } from '../format.js';

/** Files listed before a "show all" (a torrent of thousands of files stays quick to open). */
const FIRST = 500;

export function FileChecklist({ files, wanted, onChange, name }) {
  const every = wanted.every(Boolean);
  const none = !wanted.some(Boolean);
  const chosen = files.reduce((n, f) => n + (wanted[f.index] ? f.length : 0), 0);
  const prefix = name ? `${name}/` : '';
  const [all, setAll] = useState(files.length <= FIRST);
  const shown = all ? files : files.slice(0, FIRST);
  return (
    <div class="file-checklist">
      {files.length > 1 && (
        <div class="file-tools">
          <button type="button" class="link-button" disabled={every} onClick={() => onChange(files.map(() => true))}>
            Select all
          </button>
          <button type="button" class="link-button" disabled={none} onClick={() => onChange(files.map(() => false))}>
            Select none
          </button>
          <span class="muted small num">
            {wanted.filter(Boolean).length} of {files.length} files, {formatBytes(chosen)}
          </span>
        </div>
      )}
      <ul class="files">
        {shown.map((f) => (
          <li key={f.index}>
            <label class="check">
              <input
                type="checkbox"
                data-add-file={f.index}
                checked={!!wanted[f.index]}
                onChange={(e) => {
                  const next = wanted.slice();
                  next[f.index] = e.currentTarget.checked;
                  onChange(next);
                }}
              />
              <span class="file-path">{prefix && f.path.startsWith(prefix) ? f.path.slice(prefix.length) : f.path}</span>
              <span class="file-size num">{formatBytes(f.length)}</span>
            </label>
          </li>
        ))}
      </ul>
      {!all && (
        <button type="button" class="link-button" onClick={() => setAll(true)}>
          Show all {files.length} files
        </button>
      )}
    </div>
  );
}
