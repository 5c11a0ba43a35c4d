// Free space of a directory on the daemon's machine (RPC free-space), asked again 400 ms after the
// path stops changing. Returns { text, error }.
import { useEffect, useState } from 'preact/hooks';
import { rpc } from '../rpc.js';
import { formatBytes } from '../format.js';

export function useFreeSpace(path) {
  const [state, setState] = useState({ text: '', error: false });
  useEffect(() => {
    if (!path || !path.startsWith('/')) {
      setState({ text: path ? 'not an absolute path' : '', error: !!path });
      return undefined;
    }
    let live = true;
    const timer = setTimeout(async () => {
      try {
        const r = await rpc('free-space', { path });
        const n = r['size-bytes'];
        if (live) setState(n === undefined || n < 0 ? { text: 'unknown', error: true } : { text: `${formatBytes(n)} free`, error: false });
      } catch (e) {
        if (live) setState({ text: e.message === 'success' ? '' : e.message, error: true });
      }
    }, 400);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [path]);
  return state;
}
