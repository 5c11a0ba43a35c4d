// The torrent list: an ARIA grid, virtualised (only the rows in view, and a few more, are in the
// DOM; every row has the same height), sortable by its column headers, with desktop-style
// selection by mouse and keyboard. On a narrow screen the rows become cards (app.css), taller.
import { useLayoutEffect, useRef, useState } from 'preact/hooks';
import { store } from '../store.js';
import { ui, update } from '../ui.js';
import { listView } from '../list_model.js';
import { COLUMNS, GRID_TEMPLATE, GRID_MIN, rowSignature } from './columns.jsx';
import { TorrentRow } from './torrent_row.jsx';
import { selectOnly, toggle, selectRange, selectAll, clearSelection } from '../selection.js';
import { useMedia } from '../media.js';
import { Icon } from './icons.jsx';
import { openContextMenu } from './context_menu.jsx';

const ROW_HEIGHT = 34;
const CARD_HEIGHT = 84;
const HEAD_HEIGHT = 32;
const OVERSCAN = 6;

const rowDomId = (id) => `torrent-row-${id}`;

function onPointer(e, id) {
  if (e.button !== 0) return;
  const list = listView().list;
  if (e.shiftKey) {
    e.preventDefault(); // no text selection on shift-click
    selectRange(list, id, e.ctrlKey || e.metaKey);
  } else if (e.ctrlKey || e.metaKey) {
    toggle(id);
  } else if (e.detail < 2 || !ui.selected.has(id)) {
    selectOnly(id); // the second click of a double-click keeps what the first selected
  }
}

function onOpen(id) {
  ui.selected = new Set([id]);
  update({ detailsId: id, focused: id });
}

function SortHeader({ col }) {
  const active = ui.sortKey === col.key;
  const sort = active ? (ui.sortAscending ? 'ascending' : 'descending') : 'none';
  return (
    <div role="columnheader" class={`cell head c-${col.key}${col.numeric ? ' num' : ''}`} aria-sort={sort} data-col={col.key}>
      <button
        type="button"
        class="sort"
        title={`Sort by ${col.key === 'queue' ? 'queue position' : col.label.toLowerCase()}`}
        onClick={() => update(active ? { sortAscending: !ui.sortAscending } : { sortKey: col.key, sortAscending: !['down', 'up', 'added', 'ratio', 'size', 'peers'].includes(col.key) })}
      >
        <span>{col.label}</span>
        {active && <Icon name={ui.sortAscending ? 'arrowUp' : 'arrowDown'} size={12} />}
      </button>
    </div>
  );
}

export function TorrentList() {
  const { list } = listView();
  const phone = useMedia('(max-width: 700px)');
  const rowH = phone ? CARD_HEIGHT : ROW_HEIGHT;
  const headH = phone ? 0 : HEAD_HEIGHT;
  const scroller = useRef(null);
  const [view, setView] = useState({ top: 0, height: 600 });

  useLayoutEffect(() => {
    const el = scroller.current;
    const measure = () => setView({ top: el.scrollTop, height: el.clientHeight });
    measure();
    const ro = new ResizeObserver(measure);
    ro.observe(el);
    let frame = 0;
    const onScroll = () => {
      if (frame) return;
      frame = requestAnimationFrame(() => {
        frame = 0;
        measure();
      });
    };
    el.addEventListener('scroll', onScroll, { passive: true });
    return () => {
      ro.disconnect();
      el.removeEventListener('scroll', onScroll);
      cancelAnimationFrame(frame);
    };
  }, []);

  // Keeps the focused row in view when the keyboard moves it.
  const scrollTo = (index) => {
    const el = scroller.current;
    if (!el) return;
    const y = index * rowH;
    const visible = el.clientHeight - headH;
    if (y < el.scrollTop) el.scrollTop = y;
    else if (y + rowH > el.scrollTop + visible) el.scrollTop = y + rowH - visible;
  };

  const first = Math.max(0, Math.floor(view.top / rowH) - OVERSCAN);
  const last = Math.min(list.length, Math.ceil((view.top + view.height) / rowH) + OVERSCAN);
  const rows = [];
  for (let i = first; i < last; i++) {
    const t = list[i];
    rows.push(
      <TorrentRow
        key={t.id}
        t={t}
        sig={rowSignature(t)}
        index={i}
        top={i * rowH}
        selected={ui.selected.has(t.id)}
        focused={ui.focused === t.id}
        rowId={rowDomId(t.id)}
        onPointer={onPointer}
        onOpen={onOpen}
        onMenu={openContextMenu}
      />,
    );
  }

  function onKeyDown(e) {
    if (e.target !== e.currentTarget) return; // a header's sort button handles its own keys
    const ids = list.map((t) => t.id);
    if (!ids.length) return;
    let at = ids.indexOf(ui.focused);
    const page = Math.max(1, Math.floor((scroller.current.clientHeight - headH) / rowH) - 1);
    let to = null;
    switch (e.key) {
      case 'ArrowDown':
        if (e.altKey) return; // queue move: the page's shortcuts
        to = at < 0 ? 0 : Math.min(ids.length - 1, at + 1);
        break;
      case 'ArrowUp':
        if (e.altKey) return;
        to = at < 0 ? 0 : Math.max(0, at - 1);
        break;
      case 'Home':
        if (e.altKey) return;
        to = 0;
        break;
      case 'End':
        if (e.altKey) return;
        to = ids.length - 1;
        break;
      case 'PageDown':
        to = Math.min(ids.length - 1, Math.max(at, 0) + page);
        break;
      case 'PageUp':
        to = Math.max(0, at - page);
        break;
      case ' ':
        e.preventDefault();
        if (at >= 0) toggle(ids[at]);
        return;
      case 'a':
      case 'A':
        if (e.ctrlKey || e.metaKey) {
          e.preventDefault();
          e.stopPropagation();
          selectAll(list);
        }
        return;
      case 'ContextMenu':
      case 'F10':
        if (e.key === 'F10' && !e.shiftKey) return;
        e.preventDefault();
        if (at >= 0) {
          const r = document.getElementById(rowDomId(ids[at]))?.getBoundingClientRect();
          if (!ui.selected.has(ids[at])) selectOnly(ids[at]);
          update({ contextMenu: { x: r ? r.left + 40 : 100, y: r ? r.bottom : 100 } });
        }
        return;
      case 'Enter':
        e.preventDefault();
        e.stopPropagation();
        if (at >= 0) {
          if (!ui.selected.has(ids[at])) selectOnly(ids[at]);
          update({ detailsId: ids[at] });
        }
        return;
      default:
        return;
    }
    e.preventDefault();
    const id = ids[to];
    if (e.shiftKey) selectRange(list, id);
    else if (e.ctrlKey || e.metaKey) update({ focused: id, anchor: id });
    else selectOnly(id);
    scrollTo(to);
  }

  const focusedVisible = ui.focused !== null && rows.some((r) => r.props.t.id === ui.focused);

  return (
    <div class="list-wrap">
    <div
      ref={scroller}
      class={`grid${phone ? ' cards' : ''}`}
      role="grid"
      aria-label="Torrents"
      aria-multiselectable="true"
      aria-rowcount={list.length + 1}
      aria-colcount={COLUMNS.length}
      aria-activedescendant={focusedVisible ? rowDomId(ui.focused) : undefined}
      tabIndex={0}
      onKeyDown={onKeyDown}
      onMouseDown={(e) => {
        // A click on the empty space below the rows (not on the scrollbars) clears the selection.
        const el = e.currentTarget;
        if (e.button === 0 && e.target === el && e.offsetX < el.clientWidth && e.offsetY < el.clientHeight && ui.selected.size) {
          clearSelection();
        }
      }}
      onFocus={(e) => {
        if (e.target === e.currentTarget && ui.focused === null && list.length) update({ focused: list[0].id, anchor: list[0].id });
      }}
      style={{ '--grid-template': GRID_TEMPLATE, '--grid-min': `${GRID_MIN}px`, '--row-h': `${rowH}px` }}
    >
      <div role="rowgroup" class="grid-head">
        <div role="row" class="row head-row" aria-rowindex={1}>
          {COLUMNS.map((c) => (
            <SortHeader col={c} key={c.key} />
          ))}
        </div>
      </div>
      <div role="rowgroup" class="grid-body" style={{ height: `${list.length * rowH}px` }}>
        {rows}
      </div>
    </div>
      {list.length === 0 && <EmptyState />}
    </div>
  );
}

function EmptyState() {
  const none = store.torrents.size === 0;
  if (none && (store.connection === 'connecting' || store.connection === 'offline')) {
    return (
      <div class="empty">
        <p class="empty-title">{store.connection === 'offline' ? 'The daemon cannot be reached' : 'Connecting to the daemon…'}</p>
        {store.connection === 'offline' && <p>Trying again every few seconds.</p>}
      </div>
    );
  }
  return (
    <div class="empty">
      {none ? (
        <>
          <p class="empty-title">No torrents yet</p>
          <p>Drop .torrent files here, paste a magnet link, or use Add.</p>
        </>
      ) : (
        <p>No torrent matches the filter.</p>
      )}
    </div>
  );
}
