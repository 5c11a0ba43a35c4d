// Entry point: renders the app into #app and connects to the daemon.
import { render } from 'preact';
import { App } from './app.jsx';
import { connect } from './store.js';

render(<App />, document.getElementById('app'));
connect();
