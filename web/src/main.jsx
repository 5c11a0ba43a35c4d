// Entry point: applies the theme, renders the app into #app and connects to the daemon.
import { render } from 'preact';
import { App } from './app.jsx';
import { connect } from './store.js';
import { applyTheme, getTheme } from './theme.js';

applyTheme(getTheme());
render(<App />, document.getElementById('app'));
connect();
