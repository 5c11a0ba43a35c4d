// The files of a torrent as a tree of folders (pure functions, no DOM): built once from
// torrent-get's `files` names ("Top/sub/file.bin"), then aggregated per refresh from `fileStats`
// and flattened to the rows the tree grid shows (only the expanded folders' children).

const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });

/**
 * Builds the tree of `files` ([{name, length}]). A folder: { folder: true, name, path, depth,
 * children, files (every file index beneath it, in order), size }; a file: { folder: false,
 * name, path, depth, index, size }. Returns the root folder (path '', depth -1).
 */
export function buildTree(files) {
  const root = { folder: true, name: '', path: '', depth: -1, children: [], byName: new Map(), files: [], size: 0 };
  files.forEach((f, index) => {
    const parts = f.name.split('/');
    let node = root;
    for (let i = 0; i < parts.length - 1; i++) {
      let next = node.byName.get(parts[i]);
      if (!next || !next.folder) {
        const path = node.path ? `${node.path}/${parts[i]}` : parts[i];
        next = { folder: true, name: parts[i], path, depth: i, children: [], byName: new Map(), files: [], size: 0 };
        node.byName.set(parts[i], next);
        node.children.push(next);
      }
      node = next;
    }
    const name = parts[parts.length - 1];
    node.children.push({ folder: false, name, path: f.name, depth: parts.length - 1, index, size: f.length });
  });
  finish(root);
  return root;
}

function finish(node) {
  node.byName = undefined;
  node.children.sort((a, b) => (a.folder !== b.folder ? (a.folder ? -1 : 1) : collator.compare(a.name, b.name)));
  for (const c of node.children) {
    if (c.folder) {
      finish(c);
      for (const i of c.files) node.files.push(i);
      node.size += c.size;
    } else {
      node.files.push(c.index);
      node.size += c.size;
    }
  }
}

/** The folders open at first: level by level while the rows shown stay under `budget`. */
export function initialExpanded(root, budget = 400) {
  const open = new Set();
  let level = root.children.filter((c) => c.folder);
  let rows = root.children.length;
  while (level.length) {
    const next = [];
    for (const f of level) {
      if (rows + f.children.length > budget) continue;
      open.add(f.path);
      rows += f.children.length;
      for (const c of f.children) if (c.folder) next.push(c);
    }
    level = next;
  }
  return open;
}

/**
 * Per-folder figures from the files' state: `state(index)` gives { done, wanted, priority } of a
 * file. Returns Map folder path -> { done, wanted (count), count, priority (-1/0/1 or null when
 * mixed) }.
 */
export function aggregate(root, files, state) {
  const out = new Map();
  const walk = (node) => {
    let done = 0;
    let wanted = 0;
    let count = 0;
    let priority;
    for (const c of node.children) {
      if (c.folder) {
        const a = walk(c);
        done += a.done;
        wanted += a.wanted;
        count += a.count;
        if (a.count) priority = priority === undefined ? a.priority : priority === a.priority ? priority : null;
      } else {
        const s = state(c.index);
        done += Math.min(s.done, c.size);
        if (s.wanted) wanted++;
        count++;
        priority = priority === undefined ? s.priority : priority === s.priority ? priority : null;
      }
    }
    const a = { done, wanted, count, priority: priority === undefined ? 0 : priority };
    out.set(node.path, a);
    return a;
  };
  walk(root);
  return out;
}

/** The rows shown: a depth-first walk into the `expanded` folders. [{node}] in display order. */
export function visibleRows(root, expanded) {
  const rows = [];
  const walk = (node) => {
    for (const c of node.children) {
      rows.push(c);
      if (c.folder && expanded.has(c.path)) walk(c);
    }
  };
  walk(root);
  return rows;
}

/** The folder that holds `node` (by path), or null at the top. */
export function parentPath(node) {
  const at = node.path.lastIndexOf('/');
  return at < 0 ? null : node.path.slice(0, at);
}

/**
 * The rows shown while the list is filtered by `query` (words, any case, all of them in the
 * file's path): the matching files and the folders that hold them, every such folder open.
 */
export function filteredRows(root, query) {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  if (!words.length) return null;
  const match = (node) => {
    const p = node.path.toLowerCase();
    return words.every((w) => p.includes(w));
  };
  const rows = [];
  const walk = (node) => {
    let any = false;
    for (const c of node.children) {
      if (c.folder) {
        const at = rows.length;
        rows.push(c);
        if (walk(c)) any = true;
        else rows.length = at; // nothing inside matched: drop the folder again
      } else if (match(c)) {
        rows.push(c);
        any = true;
      }
    }
    return any;
  };
  walk(root);
  return rows;
}
