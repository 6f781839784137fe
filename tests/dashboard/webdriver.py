"""A minimal W3C WebDriver client over HTTP (urllib only) for chromedriver.

Only what the dashboard test needs: a session, navigation, finding and clicking elements, typing,
running a script, screenshots. Every call has a socket timeout; waits are the caller's, each with
its own deadline (see wait_for).
"""

import base64
import json
import time
import urllib.error
import urllib.request

ELEMENT = "element-6066-11e4-a52e-4f735466cecf"


class WebDriverError(Exception):
    pass


def wait_for(what, check, timeout, interval=0.1):
    """Calls check() until it returns something truthy and returns that; raises after timeout
    seconds, saying what it waited for and what check() last returned."""
    deadline = time.monotonic() + timeout
    last = None
    while True:
        last = check()
        if last:
            return last
        if time.monotonic() >= deadline:
            raise TimeoutError(f"waited {timeout:.0f} s for {what}; last saw {last!r}")
        time.sleep(interval)


class WebDriver:
    def __init__(self, base_url, call_timeout=30):
        self.base_url = base_url.rstrip("/")
        self.call_timeout = call_timeout
        self.session_id = None

    def _call(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.base_url + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=self.call_timeout) as res:
                payload = json.loads(res.read() or b"{}")
        except urllib.error.HTTPError as e:
            try:
                payload = json.loads(e.read() or b"{}")
            except ValueError:
                payload = {}
            value = payload.get("value", {})
            raise WebDriverError(f"{method} {path}: {e.code} {value.get('error')}: "
                                 f"{str(value.get('message', ''))[:400]}") from None
        return payload.get("value")

    def _s(self, path):
        return f"/session/{self.session_id}{path}"

    def start(self, binary, args):
        caps = {"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {"binary": binary, "args": args},
            "timeouts": {"implicit": 0, "pageLoad": 30000, "script": 15000},
        }}}
        value = self._call("POST", "/session", caps)
        self.session_id = value["sessionId"]
        return value

    def quit(self):
        if self.session_id is None:
            return
        try:
            self._call("DELETE", self._s(""))
        finally:
            self.session_id = None

    def get(self, url):
        self._call("POST", self._s("/url"), {"url": url})

    def current_url(self):
        return self._call("GET", self._s("/url"))

    def find_all(self, css):
        found = self._call("POST", self._s("/elements"), {"using": "css selector", "value": css})
        return [e[ELEMENT] for e in found]

    def find(self, css, timeout=10):
        """The first element matching css, waiting up to timeout seconds for it."""
        return wait_for(f"an element {css}", lambda: (self.find_all(css) or [None])[0], timeout)

    def click(self, element):
        self._call("POST", self._s(f"/element/{element}/click"), {})

    def click_css(self, css, timeout=10):
        """Clicks the first element matching css; finds it again when the page replaced it
        between the find and the click (a live re-render), until timeout seconds."""
        def attempt():
            try:
                self.click(self.find(css, timeout))
                return True
            except WebDriverError as e:
                if "stale element" not in str(e):
                    raise
                return False
        wait_for(f"a click on {css}", attempt, timeout)

    def text_css(self, css):
        """The text of the first element matching css now ("" when there is none)."""
        return self.run("const e = document.querySelector(arguments[0]); "
                        "return e ? e.innerText : '';", css)

    def type(self, element, text):
        self._call("POST", self._s(f"/element/{element}/value"), {"text": text})

    def text(self, element):
        return self._call("GET", self._s(f"/element/{element}/text"))

    def run(self, script, *args):
        """Runs script (a function body; `arguments` holds args) in the page; returns its value."""
        return self._call("POST", self._s("/execute/sync"), {"script": script, "args": list(args)})

    def run_async(self, script, *args):
        """Runs script in the page; it ends by calling arguments[arguments.length - 1](value)."""
        return self._call("POST", self._s("/execute/async"), {"script": script, "args": list(args)})

    def window_rect(self, width=None, height=None):
        """Resizes the window when given a size; returns the window's rect."""
        body = {} if width is None else {"width": width, "height": height}
        return self._call("POST" if body else "GET", self._s("/window/rect"), body or None)

    def screenshot(self, path):
        png = base64.b64decode(self._call("GET", self._s("/screenshot")))
        with open(path, "wb") as f:
            f.write(png)
        return len(png)
