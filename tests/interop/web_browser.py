"""Headless Chromium for the browser tests, the screenshots and the web benchmark (Debian's
chromium and chromium-driver through python3-selenium).

    b = Browser(h)                        # 1280x800; Browser(h, phone=True): 375x812, touch, mobile
    b.get(url)
    b.wait_until('the list shows 3 rows', lambda: b.js('return ...') == 3)
    b.set_dark(True)                      # prefers-color-scheme: dark (CDP Emulation.setEmulatedMedia)
    b.axe()                               # axe-core's serious and critical violations, [] when none
    b.drop_files([('x.torrent', data)])   # a drop of files on the page (dragenter, dragover, drop)
    b.paste_text('magnet:?xt=...')        # a paste (ClipboardEvent with text/plain)
    b.console_errors()                    # SEVERE console entries since the start, minus the allowed
    b.quit()

Every page load, script and CDP command goes through one WebDriver session. The browser's own
background traffic (component updates, sync, safe browsing, ...) is off: nothing leaves loopback.
"""
import base64
import os
import re
import time

import harness as H

CHROMIUM = '/usr/bin/chromium'
CHROMEDRIVER = '/usr/bin/chromedriver'
ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..'))
AXE_JS = os.path.join(ROOT, 'web', 'node_modules', 'axe-core', 'axe.min.js')

DESKTOP = (1280, 800)
PHONE = (375, 812)
PHONE_UA = ('Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 '
            '(KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1')

# Console entries at level SEVERE that are not errors of the page:
# - Chromium logs every non-2xx HTTP response as "Failed to load resource: the server responded
#   with a status of N". A 409 is the RPC's session-id handshake working (the reply carries the id
#   and the client repeats the call with it): always part of the protocol.
# Everything else (a JavaScript exception, a CSP violation, a 404 of one of the page's files, a
# 401 or a refused connection) is an error unless a test says it caused it on purpose: the login
# test allows 401 (a wrong password is answered 401; the page then shows its error) and the
# reconnection test allows refused connections while the daemon is down (the page's stream
# retries). Those pass `allow=` for their own phase only (allow_console).
ALWAYS_ALLOWED = (re.compile(r'status of 409 \(Conflict\)'),)
ALLOW_401 = re.compile(r'status of 401 \(Unauthorized\)')
ALLOW_DAEMON_DOWN = re.compile(r'net::ERR_CONNECTION_(REFUSED|RESET|CLOSED)|net::ERR_EMPTY_RESPONSE|'
                               r'net::ERR_INCOMPLETE_CHUNKED_ENCODING|status of 50[23]')


def require_tools():
    """Raises TestFailure naming what is missing (scripts/setup.sh installs chromium,
    chromium-driver and python3-selenium; `npm ci` in web/ installs axe-core)."""
    for tool in (CHROMIUM, CHROMEDRIVER):
        H.check(os.path.exists(tool), f'{tool} missing (scripts/setup.sh installs chromium, chromium-driver)')
    try:
        import selenium  # noqa: F401
    except ImportError:
        raise H.TestFailure('python3-selenium missing (scripts/setup.sh installs it)')


class Browser:
    """One headless Chromium. `size` is the CSS viewport (exact, through CDP device metrics);
    `phone` emulates a touch phone of PHONE size (mobile viewport, user agent, touch events);
    `dark` starts with prefers-color-scheme: dark. `name` names the profile dir and the driver log
    in the harness's work dir (h: a harness.Harness; None: a temporary dir)."""

    def __init__(self, h, size=DESKTOP, phone=False, dark=False, scale=1, name='chromium'):
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
        require_tools()
        self.h = h
        self.size = PHONE if phone else size
        self.phone = phone
        self._console = []  # every console entry seen so far (get_log consumes them)
        self._console_checked = 0
        self._allowed = []  # (start index, end index or None, pattern) of allow_console phases
        opts = webdriver.ChromeOptions()
        opts.binary_location = CHROMIUM
        profile = h.mkdir(f'{name}-profile') if h else None
        args = ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage',
                f'--window-size={self.size[0]},{self.size[1]}', '--no-first-run',
                '--disable-background-networking', '--disable-component-update', '--disable-sync',
                '--disable-default-apps', '--disable-extensions', '--disable-domain-reliability',
                '--disable-client-side-phishing-detection', '--no-default-browser-check',
                '--disable-features=Translate,OptimizationHints,MediaRouter,InterestFeedContentSuggestions',
                '--metrics-recording-only', '--password-store=basic', '--hide-scrollbars',
                '--font-render-hinting=none']
        if profile:
            args.append(f'--user-data-dir={profile}')
        for a in args:
            opts.add_argument(a)
        opts.set_capability('goog:loggingPrefs', {'browser': 'ALL'})
        log_output = h.path(f'{name}-chromedriver.log') if h else os.devnull
        self.drv = webdriver.Chrome(service=Service(CHROMEDRIVER, log_output=log_output), options=opts)
        self.drv.set_script_timeout(120)
        self._metrics(scale)
        self.set_dark(dark)

    # ---- environment --------------------------------------------------------------------------

    def _metrics(self, scale):
        w, hgt = self.size
        self.cdp('Emulation.setDeviceMetricsOverride', {
            'width': w, 'height': hgt, 'deviceScaleFactor': scale, 'mobile': self.phone,
            'screenWidth': w, 'screenHeight': hgt})
        if self.phone:
            self.cdp('Emulation.setTouchEmulationEnabled', {'enabled': True, 'maxTouchPoints': 5})
            self.cdp('Emulation.setUserAgentOverride', {'userAgent': PHONE_UA, 'platform': 'iPhone'})

    def set_dark(self, dark):
        """prefers-color-scheme: dark (True) or light (False) from now on, without a reload."""
        self.dark = dark
        self.cdp('Emulation.setEmulatedMedia', {
            'features': [{'name': 'prefers-color-scheme', 'value': 'dark' if dark else 'light'}]})

    def cdp(self, cmd, args=None):
        return self.drv.execute_cdp_cmd(cmd, args or {})

    # ---- pages and scripts --------------------------------------------------------------------

    def get(self, url):
        self.drv.get(url)

    def js(self, script, *args):
        """Runs `script` (a function body: `return ...`) in the page; returns its value."""
        return self.drv.execute_script(script, *args)

    def js_async(self, script, *args):
        """Runs `script` with a callback as its last argument (`arguments[arguments.length-1]`)."""
        return self.drv.execute_async_script(script, *args)

    def find(self, css):
        return self.drv.find_element('css selector', css)

    def find_all(self, css):
        return self.drv.find_elements('css selector', css)

    def exists(self, css):
        return bool(self.js('return document.querySelector(arguments[0]) !== null', css))

    def text(self, css):
        """textContent of the first element matching `css` (trimmed), or None."""
        return self.js('const e = document.querySelector(arguments[0]);'
                       'return e ? e.textContent.trim() : null', css)

    def click(self, css):
        """Clicks the first element matching `css` as a user would (scrolled into view)."""
        el = self.find(css)
        self.js('arguments[0].scrollIntoView({block: "nearest", inline: "nearest"})', el)
        el.click()
        return el

    def wait_until(self, what, pred, timeout=30, interval=0.05):
        """Calls pred() until it returns something true; returns that. Fails naming `what`."""
        return wait_until(what, pred, timeout, interval)

    def wait_for(self, css, timeout=30):
        """Waits until an element matches `css`; returns it."""
        return self.wait_until(f'{css} in the page', lambda: self.drv.find_elements('css selector', css),
                               timeout)[0]

    def wait_gone(self, css, timeout=30):
        self.wait_until(f'{css} gone from the page', lambda: not self.exists(css), timeout)

    def screenshot(self, path):
        """A PNG of the viewport (exactly `size` CSS pixels times the scale)."""
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        data = base64.b64decode(self.cdp('Page.captureScreenshot', {'format': 'png', 'captureBeyondViewport': False})['data'])
        with open(path, 'wb') as f:
            f.write(data)
        return path

    # ---- input the WebDriver cannot send ------------------------------------------------------

    def drop_files(self, files, target_css=None):
        """Drops files on the page as a drag from the desktop would: File objects are built in the
        page from `files` [(name, bytes) or (name, bytes, mime type)]; dragenter, dragover and drop
        are dispatched on `target_css` (default: document.body) with one DataTransfer holding them.
        Returns [defaultPrevented of dragover, of drop] (a drop target cancels both)."""
        items = [{'name': f[0], 'b64': base64.b64encode(f[1]).decode(),
                  'type': f[2] if len(f) > 2 else 'application/x-bittorrent'} for f in files]
        return self.js(r'''
            const [items, css] = arguments;
            const dt = new DataTransfer();
            for (const it of items) {
              const bin = atob(it.b64);
              const bytes = new Uint8Array(bin.length);
              for (let i = 0; i < bin.length; ++i) bytes[i] = bin.charCodeAt(i);
              dt.items.add(new File([bytes], it.name, { type: it.type }));
            }
            const target = css ? document.querySelector(css) : document.body;
            if (!target) throw new Error('drop target not found: ' + css);
            const r = {};
            for (const type of ['dragenter', 'dragover', 'drop']) {
              const ev = new DragEvent(type, { bubbles: true, cancelable: true, composed: true, dataTransfer: dt });
              target.dispatchEvent(ev);
              r[type] = ev.defaultPrevented;
            }
            return [r.dragover, r.drop];''', items, target_css)

    def paste_text(self, text, target_css=None):
        """Pastes `text` as Ctrl+V would: a ClipboardEvent 'paste' whose clipboardData holds it as
        text/plain, dispatched on `target_css` (default: the focused element, or the body).
        Returns whether a listener cancelled it (the page took the paste)."""
        return self.js(r'''
            const [text, css] = arguments;
            const dt = new DataTransfer();
            dt.setData('text/plain', text);
            const target = css ? document.querySelector(css)
                               : (document.activeElement && document.activeElement !== document.documentElement
                                  ? document.activeElement : document.body);
            if (!target) throw new Error('paste target not found: ' + css);
            const ev = new ClipboardEvent('paste', { bubbles: true, cancelable: true, composed: true, clipboardData: dt });
            target.dispatchEvent(ev);
            return ev.defaultPrevented;''', text, target_css)

    # ---- checks -------------------------------------------------------------------------------

    def axe(self, context=None, impacts=('serious', 'critical')):
        """Runs axe-core (web/node_modules/axe-core, `npm ci` in web/) on the page, or on the
        element matching `context`; returns its violations of those impacts, each as
        {id, impact, help, nodes: [target selectors]}. Injected through CDP Runtime.evaluate,
        which the page's Content-Security-Policy does not govern (it is the debugger's, not a
        <script> of the page)."""
        H.check(os.path.exists(AXE_JS), f'{AXE_JS} missing: run `npm ci` in web/')
        if not self.js('return typeof window.axe === "object"'):
            with open(AXE_JS, encoding='utf-8') as f:
                src = f.read()
            r = self.cdp('Runtime.evaluate', {'expression': src, 'returnByValue': False})
            H.check('exceptionDetails' not in r, f'axe-core injection failed: {r.get("exceptionDetails")}')
        result = self.js_async(r'''
            const [css, done] = [arguments[0], arguments[arguments.length - 1]];
            const ctx = css ? document.querySelector(css) : document;
            if (!ctx) { done({ error: 'axe context not found: ' + css }); return; }
            axe.run(ctx, { resultTypes: ['violations'] })
              .then((r) => done({ violations: r.violations.map((v) => ({
                  id: v.id, impact: v.impact, help: v.help,
                  nodes: v.nodes.map((n) => n.target.join(' ') + (n.failureSummary ? ' :: ' + n.failureSummary.replace(/\s+/g, ' ') : '')) })) }))
              .catch((e) => done({ error: String(e) }));''', context)
        H.check('error' not in result, f'axe-core: {result.get("error")}')
        return [v for v in result['violations'] if v['impact'] in impacts]

    def _drain_console(self):
        self._console.extend(self.drv.get_log('browser'))
        return len(self._console)

    def allow_console(self, pattern):
        """From now until end_allow() (or the end), SEVERE entries matching `pattern` are not
        errors. Returns a token for end_allow."""
        start = self._drain_console()
        entry = [start, None, re.compile(pattern) if isinstance(pattern, str) else pattern]
        self._allowed.append(entry)
        return entry

    def end_allow(self, token):
        token[1] = self._drain_console()

    def console_errors(self):
        """SEVERE console entries since the browser started that are errors (see ALWAYS_ALLOWED
        and allow_console), as message strings."""
        self._drain_console()
        errors = []
        for i, e in enumerate(self._console):
            if e.get('level') != 'SEVERE':
                continue
            msg = e.get('message', '')
            if any(p.search(msg) for p in ALWAYS_ALLOWED):
                continue
            if any(p.search(msg) and s <= i and (end is None or i < end) for s, end, p in self._allowed):
                continue
            errors.append(msg)
        return errors

    def console_log(self):
        """Every console entry seen so far (level and message), for a failure's report."""
        self._drain_console()
        return [f'{e.get("level")}: {e.get("message")}' for e in self._console]

    def quit(self):
        try:
            self.drv.quit()
        except Exception:  # the browser may be gone already; nothing to clean up then
            pass


class Rpc:
    """The daemon's RPC from Python (for the tests' side of a comparison with the page): session
    id handshake, Basic credentials when `auth` is (user, password). Calls return `arguments`."""

    def __init__(self, url, auth=None, timeout=60):
        self.url, self.sid, self.timeout = url, '', timeout
        self.auth = 'Basic ' + base64.b64encode(f'{auth[0]}:{auth[1]}'.encode()).decode() if auth else None

    def __call__(self, method, **arguments):
        import json
        import urllib.error
        import urllib.request
        body = json.dumps({'method': method, 'arguments': arguments}).encode()
        for _ in range(3):
            headers = {'X-Transmission-Session-Id': self.sid, 'Content-Type': 'application/json'}
            if self.auth:
                headers['Authorization'] = self.auth
            req = urllib.request.Request(self.url, data=body, headers=headers)
            try:
                with urllib.request.urlopen(req, timeout=self.timeout) as r:
                    reply = json.loads(r.read())
                H.check(reply['result'] == 'success', f'{method}: {reply["result"]}')
                return reply['arguments']
            except urllib.error.HTTPError as e:
                if e.code != 409:
                    raise
                self.sid = e.headers['X-Transmission-Session-Id']
        raise H.TestFailure('no session id accepted')

    def torrents(self, fields, ids=None):
        args = {'fields': fields}
        if ids is not None:
            args['ids'] = ids
        return self('torrent-get', **args)['torrents']

    def torrent(self, tid, fields):
        got = self.torrents(fields, [tid])
        return got[0] if got else None


def wait_until(what, pred, timeout=30, interval=0.05):
    """Calls pred() until it returns something true and returns that; TestFailure naming `what`
    after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        H.check(time.monotonic() < deadline, f'{what}: not within {timeout} s')
        time.sleep(interval)
