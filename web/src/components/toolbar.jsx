// The toolbar: actions on the selected torrents (disabled while nothing is selected) and the
// selection's size. On a phone: the main actions, the rest in a "More" menu, and a sort menu
// (the column headers are hidden there).
import { useEffect, useRef, useState } from 'preact/hooks';
import { useStore } from '../hooks.js';
import { ui, update } from '../ui.js';
import { ACTIONS, runAction, selectedIds } from '../actions.js';
import { listView } from '../list_model.js';
import { useMedia } from '../media.js';
import { COLUMNS } from './columns.jsx';
import { Icon } from './icons.jsx';
import { selectAll, clearSelection } from '../selection.js';

export const GROUPS = [
  ['start', 'start-now', 'stop'],
  ['verify', 'reannounce'],
  ['remove', 'remove-data'],
  ['move', 'rename', 'limits', 'labels'],
  ['queue-top', 'queue-up', 'queue-down', 'queue-bottom'],
  ['details'],
];
const PHONE_MAIN = ['start', 'stop', 'remove', 'details'];

export function ActionButton({ name, count, menu = false, onDone }) {
  const a = ACTIONS[name];
  const disabled = count === 0 || (a.single && count !== 1);
  return (
    <button
      type="button"
      class={menu ? 'menu-item' : `icon-button tool${name === 'remove-data' ? ' danger-hover' : ''}`}
      role={menu ? 'menuitem' : undefined}
      data-action={name}
      disabled={disabled}
      aria-label={menu ? undefined : a.label}
      title={`${a.label}${a.key ? ` (${a.key})` : ''}`}
      onClick={() => {
        onDone?.();
        runAction(name);
      }}
    >
      <Icon name={a.icon} />
      {menu && <span>{a.label}</span>}
    </button>
  );
}

function MoreMenu({ names, count }) {
  const [open, setOpen] = useState(false);
  const ref = useRef(null);
  useEffect(() => {
    if (!open) return undefined;
    const away = (e) => ref.current && !ref.current.contains(e.target) && setOpen(false);
    document.addEventListener('mousedown', away);
    return () => document.removeEventListener('mousedown', away);
  }, [open]);
  return (
    <div class="more" ref={ref}>
      <button
        type="button"
        class="icon-button tool"
        aria-haspopup="menu"
        aria-expanded={open ? 'true' : 'false'}
        aria-label="More actions"
        title="More actions"
        onClick={() => setOpen(!open)}
      >
        <Icon name="more" />
      </button>
      {open && (
        <div
          class="menu"
          role="menu"
          aria-label="More actions"
          ref={(el) => el && !el.contains(document.activeElement) && el.querySelector('button:not([disabled])')?.focus()}
          onKeyDown={(e) => {
            if (e.key === 'Escape') {
              setOpen(false);
              ref.current?.querySelector('button')?.focus();
              return;
            }
            if (e.key !== 'ArrowDown' && e.key !== 'ArrowUp') return;
            e.preventDefault();
            const items = [...e.currentTarget.querySelectorAll('button:not([disabled])')];
            const at = items.indexOf(document.activeElement);
            items[(at + (e.key === 'ArrowDown' ? 1 : items.length - 1)) % items.length]?.focus();
          }}
        >
          <button
            type="button"
            class="menu-item"
            role="menuitem"
            data-action="select-all"
            onClick={() => {
              setOpen(false);
              selectAll(listView().list);
            }}
          >
            <Icon name="check" />
            <span>Select all</span>
          </button>
          <button
            type="button"
            class="menu-item"
            role="menuitem"
            data-action="select-none"
            disabled={count === 0}
            onClick={() => {
              setOpen(false);
              clearSelection();
            }}
          >
            <Icon name="remove" />
            <span>Clear the selection</span>
          </button>
          <div class="menu-group" role="group">
            {names.map((n) => (
              <ActionButton key={n} name={n} count={count} menu onDone={() => setOpen(false)} />
            ))}
          </div>
        </div>
      )}
    </div>
  );
}

function SortSelect() {
  return (
    <label class="sort-select">
      <span class="visually-hidden">Sort by</span>
      <select
        value={`${ui.sortKey === 'queuePosition' ? 'queue' : ui.sortKey}:${ui.sortAscending ? 'a' : 'd'}`}
        onChange={(e) => {
          const [key, dir] = e.currentTarget.value.split(':');
          update({ sortKey: key, sortAscending: dir === 'a' });
        }}
      >
        {COLUMNS.filter((c) => c.key !== 'labels').flatMap((c) => [
          <option key={`${c.key}a`} value={`${c.key}:a`}>{`${c.key === 'queue' ? 'Queue' : c.label} ↑`}</option>,
          <option key={`${c.key}d`} value={`${c.key}:d`}>{`${c.key === 'queue' ? 'Queue' : c.label} ↓`}</option>,
        ])}
      </select>
    </label>
  );
}

export function Toolbar() {
  useStore();
  const phone = useMedia('(max-width: 700px)');
  const count = selectedIds().length;
  const total = listView().list.length;
  return (
    <div class="toolbar" role="toolbar" aria-label="Actions on the selected torrents">
      {phone ? (
        <>
          {PHONE_MAIN.map((n) => (
            <ActionButton key={n} name={n} count={count} />
          ))}
          <MoreMenu names={GROUPS.flat().filter((n) => !PHONE_MAIN.includes(n))} count={count} />
          <span class="spacer" />
          <SortSelect />
        </>
      ) : (
        <>
          {GROUPS.map((g, i) => (
            <div class="tool-group" key={i}>
              {g.map((n) => (
                <ActionButton key={n} name={n} count={count} />
              ))}
            </div>
          ))}
          <span class="spacer" />
        </>
      )}
      <span class="selection-count" aria-live="polite">
        {count ? `${count} of ${total} selected` : `${total} torrent${total === 1 ? '' : 's'}`}
      </span>
    </div>
  );
}
