"""The web dashboard in headless Chromium (Debian's chromium + chromium-driver over WebDriver).

Usage: dashboard_test.py SPOTKEEPER SCREENSHOT_DIR [sim|dev]

  sim  `spotkeeper server --provider sim` (no root): the test creates the sim's example group.
  dev  `spotkeeper dev --example redis` (root: the local cloud runs Redis in a runc container);
       the test starts after dev's own demo (which recycles the instance once) has ended.

In the browser: the page shows nothing but the login without a token; a wrong token is refused;
the right one shows the group; the group's page shows its instance ACTIVE; a recycle from the
page (after a confirmation; a cancelled one does nothing) moves the instance to RECYCLING and
back to ACTIVE on a new EC2 instance without the page being reloaded (the event stream); the
instance's page shows the new recovery in its table and its chart; the savings page shows the
group's figures; with the page's stream cut, a pause made through the API does not show until
the stream reconnects from its last event, and then does; resume, pause and deallocate from the
page (the deallocate dialog starts from the spec's flags and sends them as changed). Also
checked: the token is never in a URL nor in the server's log, and the
dashboard's SSE parser splits a stream cut at awkward places. Screenshots of every page go to
SCREENSHOT_DIR. Every wait has a deadline; the browser and the server are stopped also on failure.
Exit 77 (skipped) without chromium or chromedriver, or for dev without root, runc or Redis.
"""

import json
import os
import queue
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

from webdriver import WebDriver, wait_for

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "e2e"))

SKIP = 77


def skip(reason):
    print("SKIP: " + reason, flush=True)
    sys.exit(SKIP)


class Checks:
    def __init__(self):
        self.passed = 0
        self.failed = 0

    def check(self, cond, what):
        if cond:
            self.passed += 1
            print("ok:", what, flush=True)
        else:
            self.failed += 1
            print("FAIL:", what, flush=True)
        return cond


def stop_process_group(proc, timeout=15):
    """SIGTERM to the process group this test started (proc leads it), then SIGKILL."""
    if proc is None or proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    except ProcessLookupError:
        pass


class Api:
    def __init__(self, base, token):
        self.base = base.rstrip("/")
        self.token = token

    def call(self, method, path, body=None, content_type="application/json"):
        headers = {"Authorization": "Bearer " + self.token}
        data = None
        if body is not None:
            data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
            headers["Content-Type"] = content_type
        req = urllib.request.Request(self.base + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                text = r.read().decode()
                return r.status, json.loads(text) if text else None
        except urllib.error.HTTPError as e:
            return e.code, None

    def ssis(self, group_id):
        st, b = self.call("GET", f"/api/v1/group/{group_id}/statefulInstance")
        return b["items"] if st == 200 else []


class SimServer:
    """`spotkeeper server --provider sim` on a free port with a fresh data directory."""

    def __init__(self, spotkeeper, speed):
        self.spotkeeper = spotkeeper
        self.speed = speed
        self.data_dir = tempfile.mkdtemp(prefix="sk-dash-")
        self.log_path = os.path.join(self.data_dir, "server.log")
        self.log = None
        self.proc = None

    def __enter__(self):
        try:
            return self._start()
        except BaseException:
            self.__exit__(*sys.exc_info())
            raise

    def _start(self):
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(
            [self.spotkeeper, "--data-dir", self.data_dir, "server", "--provider", "sim",
             "--sim-speed", str(self.speed), "--listen", "127.0.0.1:0", "--log-level", "info"],
            stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        address = os.path.join(self.data_dir, "address")

        def started():
            if self.proc.poll() is not None:
                raise RuntimeError("the server exited: " + self.read_log())
            if not os.path.exists(address):
                return None
            with open(address) as f:
                return f.read().strip()

        self.base = wait_for("the server's address file", started, 30)
        with open(os.path.join(self.data_dir, "token")) as f:
            self.token = f.read().strip()
        self.api = Api(self.base, self.token)
        with open(os.path.join(self.data_dir, "sim-example.yaml")) as f:
            st, group = self.api.call("POST", "/api/v1/group", f.read(), "application/yaml")
        if st != 201:
            raise RuntimeError(f"creating the sim's example group: HTTP {st}")
        self.group_id = group["id"]
        self.group_name = group["name"]
        return self

    def __exit__(self, *exc):
        stop_process_group(self.proc)
        if self.log is not None:
            self.log.close()
        if exc[0] is not None:
            print("--- server log (tail) ---\n" + self.read_log())
        shutil.rmtree(self.data_dir, ignore_errors=True)
        return False

    def read_log(self):
        with open(self.log_path) as f:
            return f.read()[-6000:]


class Browser:
    """chromedriver (in its own process group) driving a headless chromium."""

    def __init__(self, chromium, chromedriver):
        self.chromium = chromium
        self.chromedriver = chromedriver
        self.profile = tempfile.mkdtemp(prefix="sk-dash-chromium-")
        self.proc = None
        self.driver = None

    def __enter__(self):
        try:
            return self._start()
        except BaseException:
            self.__exit__(*sys.exc_info())
            raise

    def _start(self):
        self.proc = subprocess.Popen([self.chromedriver, "--port=0"], stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True, start_new_session=True)
        # A thread reads chromedriver's output (and keeps draining it), so the wait for its
        # port has a deadline even if it prints nothing.
        lines = queue.Queue()

        def pump():
            for line in self.proc.stdout:
                lines.put(line)
            lines.put(None)
        threading.Thread(target=pump, daemon=True).start()
        port = None
        deadline = time.monotonic() + 30
        while port is None:
            try:
                line = lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise RuntimeError("chromedriver did not say its port within 30 s") from None
            if line is None:
                raise RuntimeError("chromedriver exited before it said its port")
            if "started successfully on port" in line:
                port = int(line.rsplit(" ", 1)[1].strip().rstrip("."))
        self.driver = WebDriver(f"http://127.0.0.1:{port}")
        self.driver.start(self.chromium, [
            "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
            "--window-size=1400,1000", "--no-first-run", "--no-default-browser-check",
            "--disable-extensions", "--disable-background-networking", "--disable-sync",
            "--user-data-dir=" + self.profile])
        return self.driver

    def __exit__(self, *exc):
        try:
            if self.driver is not None:
                self.driver.quit()
        except Exception as e:  # the browser may be gone already; the group kill below follows
            print("quitting the browser:", e)
        stop_process_group(self.proc)
        shutil.rmtree(self.profile, ignore_errors=True)
        return False


SSE_PARSER_CHECK = """
const done = arguments[arguments.length - 1];
import('/ui/api.js').then((m) => {
  const p = new m.SseParser();
  const out = [];
  const chunks = [': keepalive\\n\\nid: 7\\r\\nda', 'ta: {"a":', '1}\\r\\n\\r', '\\nid: 8\\ndata: x\\ndata: y\\n', '\\n'];
  for (const c of chunks) out.push(...p.push(c));
  done(JSON.stringify(out));
}).catch((e) => done('error: ' + e));
"""

# Records every state the SSI's row shows, in order, as the page re-renders (the test's own
# observer: the dashboard has no test hooks).
WATCH_STATES = """
const ssi = arguments[0];
window.__states = [];
window.__samePage = true;
const seen = () => {
  const el = document.querySelector(`#ssi-table tr[data-ssi="${ssi}"] [data-state]`);
  if (!el) return;
  const s = el.dataset.state;
  if (window.__states[window.__states.length - 1] !== s) window.__states.push(s);
};
new MutationObserver(seen).observe(document.getElementById('view'), {subtree: true, childList: true});
seen();
return window.__states;
"""


# Records the API calls the page makes that change something (the test's own wrapper of fetch).
RECORD_REQUESTS = """
window.__requests = [];
const real = window.fetch;
window.fetch = (url, init = {}) => {
  if (init.method && init.method !== 'GET') {
    window.__requests.push({method: init.method, url: String(url), body: init.body || null});
  }
  return real(url, init);
};
"""


# The test's own wrapper of the page's stream: window.__cut() ends the open stream as a dropped
# connection would; while window.__hold is set, the next stream request waits for
# window.__release(). Every stream URL is kept in window.__streamUrls.
CONTROL_STREAM = """
window.__streamUrls = [];
window.__hold = null;
const real = window.fetch;
window.fetch = async (url, init = {}) => {
  if (!String(url).startsWith('/api/v1/events/stream')) return real(url, init);
  window.__streamUrls.push(String(url));
  if (window.__hold) await window.__hold;
  const res = await real(url, init);
  const reader = res.body.getReader();
  let cut;
  const cutNow = new Promise((resolve) => { cut = resolve; });
  window.__cut = () => cut({ cut: true });
  const body = new ReadableStream({
    async pull(controller) {
      const r = await Promise.race([reader.read(), cutNow]);
      if (r.cut || r.done) {
        reader.cancel();
        controller.close();
        return;
      }
      controller.enqueue(r.value);
    },
  });
  return new Response(body, { status: res.status, headers: res.headers });
};
window.__release = () => {};
"""


def row_state(d, ssi):
    return d.run("const e = document.querySelector(`#ssi-table tr[data-ssi=\"${arguments[0]}\"] "
                 "[data-state]`); return e ? e.dataset.state : null;", ssi)


def row_instance(d, ssi):
    return d.run("const e = document.querySelector(`#ssi-table tr[data-ssi=\"${arguments[0]}\"] "
                 "[data-field=instance]`); return e ? e.firstChild.textContent : null;", ssi)


def browse(d, base, token, group_id, group_name, api, shots, checks, log_text):
    def shot(name):
        # The whole page: the window grows to the page's height for the picture.
        height = d.run("return document.documentElement.scrollHeight;")
        d.window_rect(1400, max(1000, min(int(height) + 120, 4000)))
        size = d.screenshot(os.path.join(shots, name + ".png"))
        d.window_rect(1400, 1000)
        print(f"screenshot {name}.png ({size} bytes)")

    d.get(base + "/")
    d.find("#token:not([hidden])")
    login_visible = d.run("return !document.getElementById('login').hidden && "
                          "document.getElementById('view').hidden;")
    checks.check(login_visible, "without a token the page shows only the login")
    shot("login")

    # The dashboard's stream parser, on a stream cut mid-line and mid-CRLF.
    parsed = json.loads(d.run_async(SSE_PARSER_CHECK))
    checks.check(parsed == [{"id": "7", "data": '{"a":1}'}, {"id": "8", "data": "x\ny"}],
                 f"the SSE parser splits a cut stream into its events ({parsed})")

    d.run(CONTROL_STREAM)
    d.type(d.find("#token"), "f" * len(token))
    d.click_css("#login-form button[type=submit]")
    error = wait_for("the login error", lambda: d.text(d.find("#login-error")), 15)
    checks.check("401" in error, f"a wrong token is refused: {error!r}")

    d.type(d.find("#token"), token)
    d.click_css("#login-form button[type=submit]")
    row = f'#groups-table tr[data-group="{group_id}"]'
    d.find(row, timeout=20)
    checks.check(group_name in d.text_css(row), f"the groups page lists {group_name}")
    wait_for("the event stream to be live", lambda: d.run(
        "return document.getElementById('live').classList.contains('on');"), 20)
    checks.check(token not in d.current_url(), "the token is not in the URL")
    # Wait for the group's instance to be ACTIVE on the groups page (live, the page is not reloaded).
    wait_for("1 ACTIVE on the groups page", lambda: "1 ACTIVE" in d.text_css(row), 120)
    shot("groups")

    d.click_css(f'#groups-table tr[data-group="{group_id}"] a')
    ssi = d.run("const r = document.querySelector('#ssi-table tr[data-ssi]'); "
                "return r ? r.dataset.ssi : null;") or \
        wait_for("an instance row", lambda: d.run(
            "const r = document.querySelector('#ssi-table tr[data-ssi]'); "
            "return r ? r.dataset.ssi : null;"), 20)
    wait_for("the instance ACTIVE on the group page", lambda: row_state(d, ssi) == "ACTIVE", 60)
    old_instance = row_instance(d, ssi)
    checks.check(old_instance and old_instance.startswith("i-"),
                 f"the group page shows {ssi}'s EC2 instance {old_instance}")
    shot("group")

    # A cancelled confirmation does nothing.
    d.click_css(f'button[data-action=recycle][data-ssi="{ssi}"]')
    wait_for("the confirmation", lambda: d.run("return document.getElementById('confirm').open;"), 10)
    d.click_css("#confirm-cancel")
    wait_for("the confirmation to close",
             lambda: d.run("return !document.getElementById('confirm').open;"), 10)
    st, body = api.call("GET", f"/api/v1/statefulInstance/{ssi}")
    checks.check(st == 200 and body["state"] == "ACTIVE" and body["instanceId"] == old_instance,
                 "a cancelled recycle leaves the instance ACTIVE on the same EC2 instance")

    # Recycle from the page and follow it live.
    d.run(WATCH_STATES, ssi)
    d.click_css(f'button[data-action=recycle][data-ssi="{ssi}"]')
    wait_for("the confirmation", lambda: d.run("return document.getElementById('confirm').open;"), 10)
    checks.check(ssi in d.text_css("#confirm-title"), "the confirmation names the instance")
    shot("confirm-recycle")
    d.click_css("#confirm-ok")
    wait_for("the page to show the recycle", lambda: any(
        s in ("RECYCLE", "RECYCLING") for s in d.run("return window.__states;")), 60)
    shot("group-recycling")

    def back_active():
        states = d.run("return window.__states;")
        return states and states[-1] == "ACTIVE" and len(states) > 1 and \
            row_instance(d, ssi) != old_instance
    wait_for("the page to show the instance ACTIVE again on a new instance", back_active, 180)
    states = d.run("return window.__states;")
    new_instance = row_instance(d, ssi)
    checks.check(states[0] == "ACTIVE" and "RECYCLING" in states and states[-1] == "ACTIVE",
                 f"the row went through {states} without a reload")
    checks.check(d.run("return window.__samePage === true;"), "the page was not reloaded")
    checks.check(new_instance.startswith("i-") and new_instance != old_instance,
                 f"the row shows the replacement {old_instance} -> {new_instance}")
    events = int(d.run("return document.getElementById('live').dataset.events || '0';"))
    checks.check(events >= 2, f"the stream delivered the recycle's events ({events})")
    feed = d.text_css("#feed-list")
    checks.check("StateChanged" in feed and "RECYCLING -> ACTIVE" in feed,
                 "the event feed shows RECYCLING -> ACTIVE")
    shot("group-after-recycle")

    d.click_css(f'#ssi-table tr[data-ssi="{ssi}"] a')
    d.find("#recoveries-table tr[data-workflow]", timeout=20)
    checks.check("Recycle" in d.text_css("#recoveries-table tr[data-workflow]"),
                 "the instance page lists the Recycle recovery")
    bars = d.run("return document.querySelectorAll('svg.recovery-chart .recovery-bar rect').length;")
    checks.check(bars >= 2, f"the timeline chart draws the recovery's phases ({bars} segments)")
    st, recs = api.call("GET", f"/api/v1/statefulInstance/{ssi}/recoveries")
    wf = recs["items"][0]["workflowId"] if st == 200 and recs["items"] else None
    checks.check(wf and d.run(
        "return !!document.querySelector(`svg.recovery-chart [data-workflow=\"${arguments[0]}\"]`);",
        wf), f"the chart's bar is the API's newest recovery {wf}")
    shot("instance")

    d.get(f"{base}/#/group/{group_id}/savings")
    card = "#savings-cards [data-field=savedPercent] .value"
    d.find(card, timeout=20)
    st, sav = api.call("GET", f"/api/v1/group/{group_id}/savings")
    shown = d.text_css(card)
    if st == 200 and sav["onDemandCostUsd"] > 0:
        # The sim's prices move a little between the page's load and this call.
        checks.check(shown.endswith("%") and abs(float(shown[:-1]) - sav["savedPercent"]) < 1.0,
                     f"the savings page shows the saved percentage ({shown}; API "
                     f"{round(sav['savedPercent'], 1)})")
    else:
        checks.check(st == 200 and shown == "–",
                     f"with nothing priced yet the savings page shows no percentage ({shown!r})")
    checks.check(d.run("return !!document.querySelector('svg.savings-chart');"),
                 "the savings page draws its chart")
    shot("savings")

    # The stream drops; what happens before it is back still reaches the page.
    d.get(f"{base}/#/group/{group_id}")
    wait_for("the instance ACTIVE", lambda: row_state(d, ssi) == "ACTIVE", 30)
    live = "return document.getElementById('live').className.split(' ').includes('on');"
    wait_for("the stream to be live", lambda: d.run(live), 30)
    d.run("let release; window.__hold = new Promise((r) => { release = r; });"
          "window.__release = () => { window.__hold = null; release(); }; window.__cut();")
    wait_for("the page to notice the stream dropped", lambda: not d.run(live), 30)
    st, _ = api.call("PUT", f"/api/v1/statefulInstance/{ssi}/pause")
    checks.check(st == 202, f"a pause through the API while the stream is down ({st})")
    wait_for("the API to say PAUSED", lambda: api.call(
        "GET", f"/api/v1/statefulInstance/{ssi}")[1]["state"] == "PAUSED", 120)
    checks.check(row_state(d, ssi) == "ACTIVE", "without its stream the page has not seen it")
    d.run("window.__release();")
    wait_for("the page to show PAUSED once the stream is back",
             lambda: row_state(d, ssi) == "PAUSED", 30)
    checks.check(d.run(live), "the stream is live again")
    urls = d.run("return window.__streamUrls;")
    checks.check(len(urls) >= 2 and "after=" in urls[-1],
                 f"the stream reconnected from the last event it saw ({urls[-1]})")
    feed = d.text_css("#feed-list")
    checks.check("PauseRequested" in feed and "PAUSING -> PAUSED" in feed,
                 "the feed has the events of the time the stream was down")

    # Resume and pause from the page; then deallocate with a flag changed in the dialog.
    d.run(RECORD_REQUESTS)
    for action, settled in (("resume", "ACTIVE"), ("pause", "PAUSED")):
        d.click_css(f'button[data-action={action}][data-ssi="{ssi}"]:not([disabled])', 30)
        wait_for("the confirmation", lambda: d.run(
            "return document.getElementById('confirm').open;"), 10)
        d.click_css("#confirm-ok")
        wait_for(f"the page to show {ssi} {settled} after {action}",
                 lambda: row_state(d, ssi) == settled and
                 any(r["url"].endswith("/" + action) for r in d.run("return window.__requests;")),
                 120)
        checks.check(row_state(d, ssi) == settled, f"{action} from the page: the row shows {settled}")
    defaults = api.call("GET", f"/api/v1/group/{group_id}")[1]["spec"]["statefulDeallocation"]
    d.click_css(f'button[data-action=deallocate][data-ssi="{ssi}"]:not([disabled])', 30)
    wait_for("the confirmation", lambda: d.run("return document.getElementById('confirm').open;"),
             10)
    shown = d.run("return Object.fromEntries([...document.querySelectorAll("
                  "'#confirm-extra input[type=checkbox]')].map((b) => [b.name, b.checked]));")
    checks.check(shown == defaults, f"the deallocate dialog starts from the spec's flags {shown}")
    d.click_css("#confirm-extra input[name=shouldDeleteVolumes]")
    shot("confirm-deallocate")
    d.click_css("#confirm-ok")
    sent = wait_for("the deallocate request", lambda: [
        r for r in d.run("return window.__requests;") if r["url"].endswith("/deallocate")], 10)
    want = dict(defaults, shouldDeleteVolumes=not defaults["shouldDeleteVolumes"])
    checks.check(json.loads(sent[0]["body"]) == {"statefulDeallocation": want},
                 f"deallocate sends the flags as set in the dialog: {sent[0]['body']}")
    wait_for(f"the page to show {ssi} DEALLOCATED", lambda: row_state(d, ssi) == "DEALLOCATED",
             120)
    checks.check(row_state(d, ssi) == "DEALLOCATED", "deallocate from the page: the row shows DEALLOCATED")

    # The token stays out of the server's log.
    checks.check(token not in log_text(), "the token is not in the server's log")

    # Logging out forgets the token.
    d.get(base + "/")
    d.click_css("#logout:not([hidden])")
    d.find("#token:not([hidden])")
    checks.check(d.run("return sessionStorage.length;") == 0, "logging out forgets the token")


def main():
    if len(sys.argv) < 3:
        print(__doc__)
        return 2
    spotkeeper, shots = sys.argv[1], sys.argv[2]
    mode = sys.argv[3] if len(sys.argv) > 3 else "sim"
    chromium = shutil.which("chromium")
    chromedriver = shutil.which("chromedriver")
    if chromium is None or chromedriver is None:
        skip("needs Debian's chromium and chromium-driver (scripts/deps.sh installs them)")
    os.makedirs(shots, exist_ok=True)
    checks = Checks()
    if mode == "sim":
        # Sim time at 10x: a recycle takes about 3 s of real time, long enough to see.
        with SimServer(spotkeeper, speed=10) as server, Browser(chromium, chromedriver) as d:
            browse(d, server.base, server.token, server.group_id, server.group_name, server.api,
                   shots, checks, server.read_log)
    elif mode == "dev":
        from real_cloud import skip_unless_possible
        from dev_server import DevServer
        skip_unless_possible(need=("runc", "redis-server"))
        with DevServer(spotkeeper, checks, name="dash", extra_args=["--example", "redis"]) as dev:
            api = Api(dev.api, dev.token)
            # dev's own demo recycles the instance once: the page's recycle comes after it.
            outcome = wait_for("dev's demo to end", lambda: next(
                (w for w in ("demo: OK", "demo: FAILED") if w in dev.read_log(10 ** 6)), None), 300)
            checks.check(outcome == "demo: OK", "spotkeeper dev's Redis demo passed")
            group = wait_for("the redis example group", lambda: next(
                (g for g in (api.call("GET", "/api/v1/group")[1] or {}).get("items", [])), None), 120)
            with Browser(chromium, chromedriver) as d:
                browse(d, dev.api, dev.token, group["id"], group["name"], api, shots, checks,
                       dev.read_log)
    else:
        print("unknown mode " + mode)
        return 2
    print(f"dashboard {mode}: {checks.passed} passed, {checks.failed} failed")
    return 1 if checks.failed else 0


if __name__ == "__main__":
    sys.exit(main())
