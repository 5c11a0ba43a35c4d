// The colour theme: 'system' (follow prefers-color-scheme), 'light' or 'dark', kept in
// localStorage. Applied as data-theme on <html>; app.css holds the variables of each.

const KEY = 'tessera-theme';
export const THEMES = ['system', 'light', 'dark'];

export function getTheme() {
  try {
    const t = localStorage.getItem(KEY);
    return THEMES.includes(t) ? t : 'system';
  } catch {
    return 'system';
  }
}

export function applyTheme(theme) {
  const root = document.documentElement;
  if (theme === 'system') root.removeAttribute('data-theme');
  else root.setAttribute('data-theme', theme);
}

export function setTheme(theme) {
  try {
    if (theme === 'system') localStorage.removeItem(KEY);
    else localStorage.setItem(KEY, theme);
  } catch {
    // private mode without storage: the choice lasts for this page only
  }
  applyTheme(theme);
}
