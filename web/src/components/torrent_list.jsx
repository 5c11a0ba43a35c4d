// PLACEHOLDER (skeleton): U1 replaces this file.
export function TorrentList() {
  return <div data-placeholder="torrent_list" />;
}
