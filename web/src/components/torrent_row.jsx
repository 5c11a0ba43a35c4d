// One row of the torrent list (a card on a phone: the same cells, laid out by app.css). Memoised
// on the row's signature (the fields it shows), its place and its selection, so a tick that
// changes nothing it shows costs nothing here.
import { memo } from 'preact/compat';
import { COLUMNS } from './columns.jsx';
import { formatRate } from '../format.js';

function RowImpl({ t, index, top, selected, focused, rowId, onPointer, onOpen, onMenu }) {
  return (
    <div
      role="row"
      id={rowId}
      class={`row${selected ? ' selected' : ''}${focused ? ' focused' : ''}${t.error ? ' has-error' : ''}`}
      data-id={t.id}
      aria-selected={selected ? 'true' : 'false'}
      aria-rowindex={index + 2}
      style={{ transform: `translateY(${top}px)` }}
      onMouseDown={(e) => onPointer(e, t.id)}
      onDblClick={() => onOpen(t.id)}
      onContextMenu={(e) => onMenu(e, t.id)}
    >
      {COLUMNS.map((c) => (
        <div
          role="gridcell"
          key={c.key}
          class={`cell c-${c.key}${c.numeric ? ' num' : ''}`}
          data-col={c.key}
          title={c.title ? c.title(t) || undefined : c.key === 'name' ? t.name : undefined}
        >
          {c.render ? c.render(t) : c.text(t)}
        </div>
      ))}
      <div class="card-rates" aria-hidden="true">
        {t.rateDownload ? <span class="down">↓ {formatRate(t.rateDownload)}</span> : null}
        {t.rateUpload ? <span class="up">↑ {formatRate(t.rateUpload)}</span> : null}
      </div>
    </div>
  );
}

export const TorrentRow = memo(
  RowImpl,
  (a, b) =>
    a.sig === b.sig && a.t === b.t && a.index === b.index && a.top === b.top && a.selected === b.selected && a.focused === b.focused,
);
