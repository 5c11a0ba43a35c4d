// The theme switch: cycles system -> light -> dark; the choice is kept in localStorage.
import { useState } from 'preact/hooks';
import { getTheme, setTheme, THEMES } from '../theme.js';
import { Icon } from './icons.jsx';

const ICON = { system: 'monitor', light: 'sun', dark: 'moon' };
const NAME = { system: 'as the system', light: 'light', dark: 'dark' };

export function ThemeButton() {
  const [theme, set] = useState(getTheme());
  const next = THEMES[(THEMES.indexOf(theme) + 1) % THEMES.length];
  return (
    <button
      type="button"
      class="icon-button"
      data-action="theme"
      aria-label={`Theme: ${NAME[theme]}`}
      title={`Theme: ${NAME[theme]} (click: ${NAME[next]})`}
      onClick={() => {
        setTheme(next);
        set(next);
      }}
    >
      <Icon name={ICON[theme]} />
    </button>
  );
}
