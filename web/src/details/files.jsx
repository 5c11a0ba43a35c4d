// The Files tab: the torrent's files as a tree grid (role=treegrid): folders that open and close,
// and per file and per folder the size, a progress bar, a wanted checkbox (tri-state for a
// folder) and a priority. An edit goes to torrent-set at once and shows at once (optimistic; the
// next refresh confirms it). Only the rows in view are in the DOM, and big folders start closed,
// so 10,000 files cost no more than 30.
import { useEffect, useLayoutEffect, useMemo, useRef, useState } from 'preact/hooks';
import { formatBytes, formatPercent } from '../format.js';
import { Loading } from './loading.jsx';
import { aggregate, buildTree, filteredRows, initialExpanded, parentPath, visibleRows } from './file_tree.js';

const ROW = 34; // px, the height of a row (details.css .tree-row)
const OVERSCAN = 8;
const PRIORITY_NAMES = { '-1': 'low', 0: 'normal', 1: 'high' };
const PRIORITY_VALUES = { low: -1, normal: 0, high: 1 };

export function FilesTab({ data, error, edit }) {
  const files = data?.files;
  const stats = data?.fileStats;
  const tree = useMemo(() => (files ? buildTree(files) : null), [files]);
  const [expanded, setExpanded] = useState(null);
  const [focusIndex, setFocusIndex] = useState(0);
  const [scroll, setScroll] = useState({ top: 0, height: 600 });
  const [query, setQuery] = useState('');
  const [renaming, setRenaming] = useState(null); // { path, busy, problem } of the row being renamed
  const grid = useRef(null);
  const wantFocus = useRef(false);
  const renamed = useRef(null); // { from, to } of the last rename: its open folders stay open

  // A new tree: the first opens folders by size; after a rename the open folders stay open.
  useEffect(() => {
    if (!tree) return;
    // The renamed row is a new element: the focus it had goes back to the row.
    if (renamed.current && grid.current) {
      const a = document.activeElement;
      if (!a || a === document.body || grid.current.contains(a)) wantFocus.current = true;
    }
    setExpanded((prev) => {
      if (!prev) return initialExpanded(tree);
      const r = renamed.current;
      renamed.current = null;
      const next = new Set();
      for (const p of prev) {
        const q = r && (p === r.from || p.startsWith(`${r.from}/`)) ? r.to + p.slice(r.from.length) : p;
        next.add(q);
      }
      return next;
    });
  }, [tree]);

  const state = (i) => {
    const s = stats?.[i];
    return { done: s?.bytesCompleted ?? files[i].bytesCompleted ?? 0, wanted: s ? s.wanted : true, priority: s?.priority ?? 0 };
  };
  const agg = useMemo(() => (tree && stats ? aggregate(tree, files, state) : null), [tree, stats]);
  const filtered = useMemo(() => (tree ? filteredRows(tree, query) : null), [tree, query]);
  const rows = useMemo(() => filtered || (tree && expanded ? visibleRows(tree, expanded) : []), [tree, expanded, filtered]);

  const ready = !!(tree && stats && expanded);
  // Track the scroll position and the height of the grid for the rows to render.
  useLayoutEffect(() => {
    const el = grid.current;
    if (!el) return undefined;
    let frame = 0;
    const measure = () => {
      frame = 0;
      setScroll((s) => (s.top === el.scrollTop && s.height === el.clientHeight ? s : { top: el.scrollTop, height: el.clientHeight }));
    };
    const onScroll = () => {
      if (!frame) frame = requestAnimationFrame(measure);
    };
    el.addEventListener('scroll', onScroll, { passive: true });
    const ro = typeof ResizeObserver !== 'undefined' ? new ResizeObserver(onScroll) : null;
    ro?.observe(el);
    measure();
    return () => {
      el.removeEventListener('scroll', onScroll);
      ro?.disconnect();
      cancelAnimationFrame(frame);
    };
  }, [ready]);

  // Keyboard focus follows focusIndex once the row is rendered.
  useEffect(() => {
    if (!wantFocus.current || !grid.current) return;
    const el = grid.current.querySelector(`[data-row="${focusIndex}"]`);
    if (el) {
      wantFocus.current = false;
      el.focus({ preventScroll: true });
    }
  });

  if (!tree || !stats || !expanded) return <Loading data={tree && stats ? data : null} error={error} />;
  if (!files.length) return <p class="details-empty">No files yet: the metadata has not arrived.</p>;

  const toggleFolder = (path, open) => {
    const next = new Set(expanded);
    if (open ?? !next.has(path)) next.add(path);
    else next.delete(path);
    setExpanded(next);
  };

  const setWanted = (indices, wanted) => {
    const set = new Set(indices);
    edit(
      (d) => ({ ...d, fileStats: d.fileStats.map((s, i) => (set.has(i) ? { ...s, wanted } : s)) }),
      { [wanted ? 'files-wanted' : 'files-unwanted']: indices },
    ).catch(() => {});
  };
  const setPriority = (indices, name) => {
    const p = PRIORITY_VALUES[name];
    const set = new Set(indices);
    edit(
      (d) => ({ ...d, fileStats: d.fileStats.map((s, i) => (set.has(i) ? { ...s, priority: p } : s)) }),
      { [`priority-${name}`]: indices },
    ).catch(() => {});
  };

  // torrent-rename-path: `path` as the daemon knows it (with the torrent's name first), `name`
  // its new last part; the file names are fetched again after.
  const rename = async (node, name, row) => {
    const clean = name.trim();
    if (clean === node.name) {
      endRename(row);
      return;
    }
    if (!clean || clean === '.' || clean === '..' || clean.includes('/')) {
      setRenaming({ path: node.path, problem: 'A name cannot be empty, . or .., nor hold a /.' });
      return;
    }
    setRenaming({ path: node.path, busy: true });
    const at = node.path.lastIndexOf('/');
    renamed.current = { from: node.path, to: (at < 0 ? '' : node.path.slice(0, at + 1)) + clean };
    try {
      await edit(null, { path: node.path, name: clean }, { method: 'torrent-rename-path', names: true });
      endRename(row);
    } catch (e) {
      renamed.current = null;
      setRenaming({ path: node.path, problem: e.message });
    }
  };

  const first = Math.max(0, Math.floor(scroll.top / ROW) - OVERSCAN);
  const last = Math.min(rows.length, Math.ceil((scroll.top + scroll.height) / ROW) + OVERSCAN);
  const focus = Math.min(focusIndex, rows.length - 1);

  const moveFocus = (i) => {
    const n = Math.max(0, Math.min(rows.length - 1, i));
    wantFocus.current = true;
    setFocusIndex(n);
    const el = grid.current;
    const top = n * ROW;
    const headerH = ROW;
    if (top < el.scrollTop) el.scrollTop = top;
    else if (top + ROW + headerH > el.scrollTop + el.clientHeight) el.scrollTop = top + ROW + headerH - el.clientHeight;
  };

  const onKeyDown = (e) => {
    // A checkbox and a select have their own keys (space, arrows).
    if (e.target.tagName === 'SELECT' || e.target.tagName === 'INPUT') return;
    const node = rows[focus];
    if (!node) return;
    const page = Math.max(1, Math.floor(grid.current.clientHeight / ROW) - 1);
    switch (e.key) {
      case 'ArrowDown': moveFocus(focus + 1); break;
      case 'ArrowUp': moveFocus(focus - 1); break;
      case 'PageDown': moveFocus(focus + page); break;
      case 'PageUp': moveFocus(focus - page); break;
      case 'Home': moveFocus(0); break;
      case 'End': moveFocus(rows.length - 1); break;
      case 'ArrowRight':
        if (node.folder && !expanded.has(node.path)) toggleFolder(node.path, true);
        else if (node.folder) moveFocus(focus + 1);
        break;
      case 'ArrowLeft': {
        if (node.folder && expanded.has(node.path)) toggleFolder(node.path, false);
        else {
          const parent = parentPath(node);
          const at = parent === null ? -1 : rows.findIndex((r) => r.folder && r.path === parent);
          if (at >= 0) moveFocus(at);
        }
        break;
      }
      case ' ': {
        const indices = node.folder ? node.files : [node.index];
        const allWanted = node.folder ? agg.get(node.path).wanted === node.files.length : state(node.index).wanted;
        setWanted(indices, !allWanted);
        break;
      }
      case 'Enter':
        if (node.folder) toggleFolder(node.path);
        break;
      case 'F2':
        setRenaming({ path: node.path });
        break;
      default:
        return;
    }
    e.preventDefault();
  };

  const endRename = (i) => {
    setRenaming(null);
    moveFocus(i);
  };

  // The row Tab lands on: the focused one, or the first in view when it scrolled away.
  const tabRow = focus >= first && focus < last ? focus : first;
  const rendered = [];
  for (let i = first; i < last; i++) {
    const node = rows[i];
    rendered.push(
      node.folder ? (
        <FolderRow key={`d:${node.path}`} node={node} a={agg.get(node.path)} open={!!filtered || expanded.has(node.path)} row={i}
          focused={i === tabRow} onToggle={() => toggleFolder(node.path)} setWanted={setWanted} setPriority={setPriority}
          onFocusRow={() => setFocusIndex(i)} renaming={renaming?.path === node.path ? renaming : null}
          onRename={(name) => (name === null ? endRename(i) : rename(node, name, i))} onStartRename={() => setRenaming({ path: node.path })} />
      ) : (
        <FileRow key={`f:${node.index}`} node={node} s={state(node.index)} row={i} focused={i === tabRow}
          setWanted={setWanted} setPriority={setPriority} onFocusRow={() => setFocusIndex(i)}
          renaming={renaming?.path === node.path ? renaming : null}
          onRename={(name) => (name === null ? endRename(i) : rename(node, name, i))} onStartRename={() => setRenaming({ path: node.path })} />
      ),
    );
  }

  const total = agg.get('');
  return (
    <div class="d-files">
      {error && <p class="details-error" role="alert">{error}</p>}
      <div class="files-bar">
        <p class="files-summary">
          {files.length.toLocaleString()} file{files.length === 1 ? '' : 's'}, {total.wanted.toLocaleString()} wanted
          {' · '}
          {formatBytes(total.done)} of {formatBytes(tree.size)} ({formatPercent(tree.size ? total.done / tree.size : 1)})
        </p>
        {files.length > 1 && (
          <input type="search" class="files-filter" aria-label="Filter files" placeholder="Filter files" value={query}
            data-files-filter onInput={(e) => { setQuery(e.target.value); setFocusIndex(0); if (grid.current) grid.current.scrollTop = 0; }}
            onKeyDown={(e) => {
              if (e.key === 'Escape' && query) {
                e.preventDefault();
                setQuery('');
              }
            }} />
        )}
      </div>
      {filtered && (
        <p class="files-filtered" role="status">
          {filtered.filter((n) => !n.folder).length.toLocaleString()} file{filtered.filter((n) => !n.folder).length === 1 ? '' : 's'} match
        </p>
      )}
      <div class="tree" role="treegrid" aria-label="Files" aria-rowcount={rows.length + 1} ref={grid} onKeyDown={onKeyDown}>
        <div class="tree-row tree-header" role="row" aria-rowindex={1}>
          <span role="columnheader" class="tc-name">Name</span>
          <span role="columnheader" class="tc-size">Size</span>
          <span role="columnheader" class="tc-progress">Progress</span>
          <span role="columnheader" class="tc-wanted">Get</span>
          <span role="columnheader" class="tc-priority">Priority</span>
        </div>
        <div class="tree-spacer" aria-hidden="true" style={{ height: `${first * ROW}px` }} />
        {rendered}
        <div class="tree-spacer" aria-hidden="true" style={{ height: `${(rows.length - last) * ROW}px` }} />
      </div>
    </div>
  );
}

function Progress({ done, size }) {
  const f = size ? Math.min(1, done / size) : 1;
  return (
    <span class="d-bar" role="progressbar" aria-valuemin="0" aria-valuemax="100" aria-valuenow={Math.floor(f * 100)} aria-label="Progress">
      <span class="d-bar-fill" style={{ width: `${f * 100}%` }} />
      <span class="d-bar-text">{formatPercent(f)}</span>
    </span>
  );
}

function PrioritySelect({ value, onChange, label, focused }) {
  return (
    <select aria-label={label} value={value === null ? 'mixed' : PRIORITY_NAMES[value]} tabIndex={focused ? 0 : -1}
      onChange={(e) => e.target.value !== 'mixed' && onChange(e.target.value)}>
      {value === null && <option value="mixed" disabled>Mixed</option>}
      <option value="high">High</option>
      <option value="normal">Normal</option>
      <option value="low">Low</option>
    </select>
  );
}

function FolderRow({ node, a, open, row, focused, onToggle, setWanted, setPriority, onFocusRow, renaming, onRename, onStartRename }) {
  const all = a.wanted === a.count;
  const none = a.wanted === 0;
  return (
    <div class="tree-row d-folder" role="row" data-folder={node.path} data-row={row} aria-rowindex={row + 2}
      aria-level={node.depth + 1} aria-expanded={open ? 'true' : 'false'} tabIndex={focused ? 0 : -1} onFocusIn={onFocusRow}>
      <span role="gridcell" class="tc-name" data-col="name" style={{ paddingLeft: `${node.depth * 16 + 4}px` }}>
        <button type="button" class="twisty" tabIndex={-1} aria-label={`${open ? 'Close' : 'Open'} ${node.name}`} onClick={onToggle}>
          <span aria-hidden="true">{open ? '▾' : '▸'}</span>
        </button>
        <Name node={node} focused={focused} renaming={renaming} onRename={onRename} onStartRename={onStartRename} />
      </span>
      <span role="gridcell" class="tc-size" data-col="size">{formatBytes(node.size)}</span>
      <span role="gridcell" class="tc-progress" data-col="progress"><Progress done={a.done} size={node.size} /></span>
      <span role="gridcell" class="tc-wanted" data-col="wanted">
        <input type="checkbox" tabIndex={focused ? 0 : -1} aria-label={`Download ${node.name}`} checked={all && !none}
          ref={(el) => el && (el.indeterminate = !all && !none)} data-state={all ? 'all' : none ? 'none' : 'mixed'}
          onChange={() => setWanted(node.files, !all)} />
      </span>
      <span role="gridcell" class="tc-priority" data-col="priority">
        <PrioritySelect focused={focused} value={a.priority} label={`Priority of ${node.name}`} onChange={(p) => setPriority(node.files, p)} />
      </span>
    </div>
  );
}

function FileRow({ node, s, row, focused, setWanted, setPriority, onFocusRow, renaming, onRename, onStartRename }) {
  return (
    <div class={`tree-row d-file${s.wanted ? '' : ' unwanted'}`} role="row" data-file={node.index} data-row={row}
      aria-rowindex={row + 2} aria-level={node.depth + 1} tabIndex={focused ? 0 : -1} onFocusIn={onFocusRow}>
      <span role="gridcell" class="tc-name" data-col="name" style={{ paddingLeft: `${node.depth * 16 + 28}px` }}>
        <Name node={node} focused={focused} renaming={renaming} onRename={onRename} onStartRename={onStartRename} />
      </span>
      <span role="gridcell" class="tc-size" data-col="size">{formatBytes(node.size)}</span>
      <span role="gridcell" class="tc-progress" data-col="progress"><Progress done={s.done} size={node.size} /></span>
      <span role="gridcell" class="tc-wanted" data-col="wanted">
        <input type="checkbox" tabIndex={focused ? 0 : -1} aria-label={`Download ${node.name}`} checked={s.wanted}
          onChange={(e) => setWanted([node.index], e.target.checked)} />
      </span>
      <span role="gridcell" class="tc-priority" data-col="priority">
        <PrioritySelect focused={focused} value={s.priority} label={`Priority of ${node.name}`} onChange={(p) => setPriority([node.index], p)} />
      </span>
    </div>
  );
}

/** A row's name, its rename button, and the field that renames it (Enter: rename, Escape: not). */
function Name({ node, focused, renaming, onRename, onStartRename }) {
  if (!renaming) {
    return (
      <>
        <span class="tc-label" title={node.path}>{node.name}</span>
        <button type="button" class="rename-button" tabIndex={focused ? 0 : -1} data-action="rename-file"
          aria-label={`Rename ${node.name}`} title="Rename (F2)" onClick={onStartRename}>
          <span aria-hidden="true">✎</span>
        </button>
      </>
    );
  }
  return (
    <span class="rename-field">
      <input type="text" defaultValue={node.name} aria-label={`New name of ${node.name}`} disabled={renaming.busy}
        aria-invalid={renaming.problem ? 'true' : 'false'} title={renaming.problem || ''} spellcheck={false}
        data-rename={node.path}
        ref={(el) => {
          if (el && !el.dataset.ready) {
            el.dataset.ready = '1';
            el.focus();
            const dot = node.folder ? -1 : node.name.lastIndexOf('.');
            el.setSelectionRange(0, dot > 0 ? dot : node.name.length);
          }
        }}
        onKeyDown={(e) => {
          e.stopPropagation(); // the grid's keys (space, arrows) are the field's here
          if (e.key === 'Enter') onRename(e.target.value);
          else if (e.key === 'Escape') onRename(null);
        }}
        onBlur={(e) => !renaming.busy && !renaming.problem && onRename(null)} />
      {renaming.problem && <span class="rename-problem" role="alert">{renaming.problem}</span>}
    </span>
  );
}
