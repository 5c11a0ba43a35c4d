// Relative times ("in 12 min", "3 h ago") for the trackers tab and the general tab.

/** `unixSeconds` relative to now: "in 5 min", "2 h ago", "now"; '' for 0 (never/unknown). */
export function formatRelative(unixSeconds, nowMs = Date.now()) {
  if (!unixSeconds || unixSeconds <= 0) return '';
  const d = Math.round(unixSeconds - nowMs / 1000);
  const a = Math.abs(d);
  if (a < 5) return 'now';
  let text;
  if (a < 60) text = `${a} s`;
  else if (a < 3600) text = `${Math.floor(a / 60)} min${a < 600 && a % 60 ? ` ${a % 60} s` : ''}`;
  else if (a < 86400 * 2) text = `${Math.floor(a / 3600)} h ${Math.floor((a % 3600) / 60)} min`;
  else text = `${Math.floor(a / 86400)} d`;
  return d > 0 ? `in ${text}` : `${text} ago`;
}
