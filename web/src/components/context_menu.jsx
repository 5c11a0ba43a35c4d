// The right-click menu of the list (a long press on a phone): the actions on the selection, at the
// pointer. A right-click on a row outside the selection selects that row first.
import { useEffect, useRef } from 'preact/hooks';
import { ui, update } from '../ui.js';
import { selectedIds } from '../actions.js';
import { selectOnly } from '../selection.js';
import { ActionButton, GROUPS } from './toolbar.jsx';

/** Opens the menu for a contextmenu event on row `id`. */
export function openContextMenu(e, id) {
  e.preventDefault();
  if (!ui.selected.has(id)) selectOnly(id);
  update({ contextMenu: { x: e.clientX, y: e.clientY } });
}

export function ContextMenu() {
  const ref = useRef(null);
  const at = ui.contextMenu;
  const close = () => update({ contextMenu: null });

  useEffect(() => {
    if (!at) return undefined;
    const el = ref.current;
    // Keep the menu on screen.
    const r = el.getBoundingClientRect();
    el.style.left = `${Math.max(4, Math.min(at.x, innerWidth - r.width - 4))}px`;
    el.style.top = `${Math.max(4, Math.min(at.y, innerHeight - r.height - 4))}px`;
    el.querySelector('button:not([disabled])')?.focus();
    const away = (ev) => !el.contains(ev.target) && close();
    document.addEventListener('mousedown', away);
    window.addEventListener('blur', close);
    window.addEventListener('resize', close);
    return () => {
      document.removeEventListener('mousedown', away);
      window.removeEventListener('blur', close);
      window.removeEventListener('resize', close);
    };
  }, [at]);

  if (!at) return null;
  const count = selectedIds().length;
  return (
    <div
      ref={ref}
      class="menu context-menu"
      role="menu"
      aria-label="Actions on the selected torrents"
      onKeyDown={(e) => {
        if (e.key === 'Escape' || e.key === 'Tab') {
          e.preventDefault();
          e.stopPropagation();
          close();
          document.querySelector('[role=grid]')?.focus();
          return;
        }
        if (e.key !== 'ArrowDown' && e.key !== 'ArrowUp') return;
        e.preventDefault();
        const items = [...e.currentTarget.querySelectorAll('button:not([disabled])')];
        const i = items.indexOf(document.activeElement);
        items[(i + (e.key === 'ArrowDown' ? 1 : items.length - 1)) % items.length]?.focus();
      }}
    >
      {GROUPS.map((g, i) => (
        <div class="menu-group" key={i} role="group">
          {g.map((n) => (
            <ActionButton key={n} name={n} count={count} menu onDone={close} />
          ))}
        </div>
      ))}
    </div>
  );
}
