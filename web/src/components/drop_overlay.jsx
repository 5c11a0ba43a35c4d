// Shown while .torrent files are dragged over the page.
import { Icon } from './icons.jsx';

export function DropOverlay() {
  return (
    <div class="drop-overlay" aria-hidden="true">
      <div class="drop-card">
        <Icon name="upload" size={40} />
        <p>Drop .torrent files to add them</p>
      </div>
    </div>
  );
}
