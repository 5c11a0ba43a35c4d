// Preact hooks over the store.
import { useEffect, useState } from 'preact/hooks';
import { store, subscribe } from './store.js';

/** Re-renders the calling component whenever the store changes; returns the store. */
export function useStore() {
  const [, setVersion] = useState(store.version);
  useEffect(() => subscribe(setVersion), []);
  return store;
}
