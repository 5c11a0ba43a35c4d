// The keyboard shortcuts (the "?" key).
import { Dialog } from './dialog.jsx';
import { ACTIONS } from '../actions.js';

const LIST_KEYS = [
  ['↑ ↓ Home End PgUp PgDn', 'Move in the list (with Shift: extend the selection)'],
  ['Space', 'Select or unselect the focused torrent'],
  ['Ctrl+A', 'Select every torrent in the list'],
  ['Enter, double-click', 'Show the details'],
  ['Shift+F10, right-click', 'Actions menu'],
  ['Escape', 'Close the details, or clear the selection'],
];
const PAGE_KEYS = [
  ['a', 'Add torrents'],
  ['Ctrl+V', 'Add the magnet links or URLs on the clipboard'],
  ['/', 'Search'],
  ['?', 'This help'],
];

function Keys({ rows }) {
  return (
    <table class="keys">
      <tbody>
        {rows.map(([k, what]) => (
          <tr key={k}>
            <th scope="row">
              <kbd>{k}</kbd>
            </th>
            <td>{what}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function HelpDialog({ onClose }) {
  const actions = Object.values(ACTIONS)
    .filter((a) => a.key && a.key !== 'Enter')
    .map((a) => [a.key, a.label.replace('…', '')]);
  return (
    <Dialog
      kind="help"
      title="Keyboard shortcuts"
      onClose={onClose}
      wide
      scrollFocusable
      footer={
        <button type="button" class="button primary" data-action="cancel" data-autofocus onClick={onClose}>
          Close
        </button>
      }
    >
      <div class="help-columns">
        <section>
          <h3>List</h3>
          <Keys rows={LIST_KEYS} />
          <h3>Page</h3>
          <Keys rows={PAGE_KEYS} />
        </section>
        <section>
          <h3>Selected torrents</h3>
          <Keys rows={actions} />
        </section>
      </div>
    </Dialog>
  );
}
