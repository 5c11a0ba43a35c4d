// The sidebar: the search, the state filters with their counts and the labels with theirs. On a
// phone it is a drawer opened from the header's menu button.
import { useStore } from '../hooks.js';
import { formatBytes } from '../format.js';
import { ui, update } from '../ui.js';
import { STATE_FILTERS } from '../format.js';
import { listView } from '../list_model.js';
import { Icon } from './icons.jsx';

export function Sidebar() {
  const store = useStore();
  const free = store.session['download-dir-free-space'];
  const { counts, labels } = listView();
  const close = () => ui.sidebarOpen && update({ sidebarOpen: false });
  return (
    <>
      {ui.sidebarOpen && <div class="drawer-backdrop" onClick={close} />}
      <nav id="sidebar" class={`sidebar${ui.sidebarOpen ? ' open' : ''}`} aria-label="Filters">
        <div class="search">
          <Icon name="search" size={16} />
          <input
            type="search"
            aria-label="Search"
            placeholder="Search by name  /"
            value={ui.search}
            onInput={(e) => update({ search: e.currentTarget.value })} onChange={(e) => update({ search: e.currentTarget.value })}
            onKeyDown={(e) => {
              if (e.key === 'Escape' && ui.search) {
                e.stopPropagation();
                update({ search: '' });
              }
            }}
          />
        </div>
        <h2 class="side-title">State</h2>
        <ul class="filters">
          {STATE_FILTERS.map((f) => (
            <li key={f.key}>
              <button
                type="button"
                class={`filter f-${f.key}${ui.stateFilter === f.key ? ' active' : ''}`}
                data-filter={f.key}
                aria-pressed={ui.stateFilter === f.key ? 'true' : 'false'}
                onClick={() => {
                  update({ stateFilter: f.key });
                  close();
                }}
              >
                <span class={`swatch s-${f.key}`} aria-hidden="true" />
                <span class="filter-name">{f.label}</span>
                <span class="count">{counts[f.key] ?? 0}</span>
              </button>
            </li>
          ))}
        </ul>
        {labels.length > 0 && (
          <>
            <h2 class="side-title">Labels</h2>
            <ul class="filters">
              {labels.map(([name, n]) => (
                <li key={name}>
                  <button
                    type="button"
                    class={`filter${ui.labelFilter === name ? ' active' : ''}`}
                    data-label={name}
                    aria-pressed={ui.labelFilter === name ? 'true' : 'false'}
                    onClick={() => {
                      update({ labelFilter: ui.labelFilter === name ? '' : name });
                      close();
                    }}
                  >
                    <Icon name="tag" size={14} />
                    <span class="filter-name">{name}</span>
                    <span class="count">{n}</span>
                  </button>
                </li>
              ))}
            </ul>
          </>
        )}
        {free !== undefined && free >= 0 && (
          <p class="side-free" title={`In ${store.session['download-dir']}`}>
            Free space: {formatBytes(free)}
          </p>
        )}
      </nav>
    </>
  );
}
