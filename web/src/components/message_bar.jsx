// The message bar: the last failed action's error (store.message), until dismissed.
import { useStore } from '../hooks.js';
import { clearMessage } from '../store.js';
import { Icon } from './icons.jsx';

export function MessageBar() {
  const store = useStore();
  if (!store.message) return null;
  return (
    <div class="message-bar" role="alert">
      <Icon name="alert" />
      <span class="message-text">{store.message}</span>
      <button type="button" class="icon-button" aria-label="Dismiss" title="Dismiss" onClick={clearMessage}>
        <Icon name="close" />
      </button>
    </div>
  );
}
