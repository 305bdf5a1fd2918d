"""The HTML player, checked in a real headless Chromium (Debian's package).

    python3 .ci/browser_check.py NEURON.html SCREENSHOT_DIR [NETWORK.html]

Drives Chromium over the DevTools protocol on a pipe (--remote-debugging-pipe,
standard library only): loads the lecture neuron's page with no console
errors and checks it for basic accessibility (a language, a name for every
control and node, unique ids, the state in text as well as colour), presses
the right arrow five times and reads which node is yellow,
opens #step=11 and checks every node is done, and takes screenshots at
1280x800 and 390x844; and, given a network's page (`graph --model --html`),
loads it with no console errors and steps it to the end. Exits non-zero,
saying why, when a check fails.
"""

import base64
import fcntl
import json
import os
import shutil
import subprocess
import sys
import time

YELLOW = "#ffe24a"


class Browser:
    def __init__(self):
        # the binary itself: Debian's /usr/bin/chromium is a shell launcher
        chromium = next((path for path in ("/usr/lib/chromium/chromium",) if os.path.exists(path)),
                        shutil.which("chromium") or shutil.which("chromium-browser"))
        if not chromium:
            sys.exit("browser check: chromium is not installed")
        # Chromium reads commands on fd 3 and writes replies on fd 4
        self.to_child_read, self.to_child = os.pipe()
        self.from_child, self.from_child_write = os.pipe()

        def wire_pipes():
            # out of the way first (the pipes may be fds 3 and 4 already), then
            # onto 3 and 4, inheritable
            high = [fcntl.fcntl(fd, fcntl.F_DUPFD, 10)
                    for fd in (self.to_child_read, self.from_child_write)]
            os.dup2(high[0], 3, inheritable=True)
            os.dup2(high[1], 4, inheritable=True)

        self.process = subprocess.Popen(
            [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
             "--remote-debugging-pipe", "--no-first-run", "about:blank"],
            preexec_fn=wire_pipes, close_fds=False,
            stdout=subprocess.DEVNULL, stderr=open(os.environ.get("CHROMIUM_LOG", os.devnull), "w"))
        os.close(self.to_child_read)
        os.close(self.from_child_write)
        self.buffer = b""
        self.next_id = 0
        self.events = []
        self.session = None

    def send(self, method, params=None, session=True):
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params or {}}
        if session and self.session:
            message["sessionId"] = self.session
        os.write(self.to_child, json.dumps(message).encode() + b"\0")
        while True:
            reply = self.read()
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    sys.exit(f"browser check: {method} failed: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def read(self):
        while b"\0" not in self.buffer:
            chunk = os.read(self.from_child, 1 << 16)
            if not chunk:
                sys.exit("browser check: chromium closed the pipe")
            self.buffer += chunk
        message, self.buffer = self.buffer.split(b"\0", 1)
        return json.loads(message)

    def wait_for(self, method, timeout=20):
        deadline = time.time() + timeout
        while time.time() < deadline:
            for i, event in enumerate(self.events):
                if event.get("method") == method:
                    return self.events.pop(i)
            self.events.append(self.read())
        sys.exit(f"browser check: no {method} in {timeout} s")

    def open(self, url, width, height):
        if self.session is None:
            target = self.send("Target.createTarget", {"url": "about:blank"}, session=False)
            attached = self.send("Target.attachToTarget",
                                 {"targetId": target["targetId"], "flatten": True}, session=False)
            self.session = attached["sessionId"]
            self.send("Page.enable")
            self.send("Runtime.enable")
            self.send("Log.enable")
        self.send("Emulation.setDeviceMetricsOverride",
                  {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 500})
        # a new document each time: a change of the fragment alone would not load
        for address in ("about:blank", url):
            self.send("Page.navigate", {"url": address})
            self.wait_for("Page.loadEventFired")

    def evaluate(self, expression):
        result = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True})
        if "exceptionDetails" in result:
            sys.exit(f"browser check: {expression} threw {result['exceptionDetails']}")
        return result["result"].get("value")

    def press(self, key, code, key_code):
        for kind in ("keyDown", "keyUp"):
            self.send("Input.dispatchKeyEvent", {"type": kind, "key": key, "code": code,
                                                 "windowsVirtualKeyCode": key_code})

    def errors(self):
        found = []
        for event in self.events:
            method, params = event.get("method"), event.get("params", {})
            if method == "Runtime.exceptionThrown":
                found.append(params["exceptionDetails"].get("text", "an exception"))
            elif method == "Runtime.consoleAPICalled" and params.get("type") == "error":
                found.append(str(params.get("args")))
            elif method == "Log.entryAdded" and params["entry"].get("level") == "error":
                found.append(params["entry"].get("text", "a logged error"))
        return found

    def screenshot(self, path):
        data = base64.b64decode(self.send("Page.captureScreenshot", {"format": "png"})["data"])
        with open(path, "wb") as f:
            f.write(data)
        return data

    def close(self):
        try:
            self.send("Browser.close", session=False)
        except SystemExit:
            pass
        self.process.wait(timeout=10)


def check(condition, message):
    if not condition:
        sys.exit(f"browser check failed: {message}")
    print(f"browser check: {message}: ok")


def main():
    page = os.path.abspath(sys.argv[1])
    shots = sys.argv[2] if len(sys.argv) > 2 else os.path.dirname(page)
    url = "file://" + page
    browser = Browser()
    try:
        browser.open(url, 1280, 800)
        check(browser.errors() == [], f"the page loads with no console errors {browser.errors()}")
        # a basic accessibility check: a language, names for every control and
        # node, ids unique, and the state in text as well as in colour
        problems = browser.evaluate("""(() => {
            const found = [];
            if (!document.documentElement.lang) found.push("no lang on <html>");
            for (const el of document.querySelectorAll("button, input, select, [role=button], [role=img]")) {
                const name = (el.getAttribute("aria-label") || el.textContent || "").trim();
                if (!name) found.push("a " + el.tagName + " without a name");
            }
            const ids = [...document.querySelectorAll("[id]")].map((el) => el.id);
            if (new Set(ids).size !== ids.length) found.push("duplicate ids");
            for (const g of document.querySelectorAll(".node")) {
                const label = g.querySelector(".label").textContent;
                if (!["[ ]", "[*]", "[✓]"].some((mark) => label.startsWith(mark))) found.push("a node without a marker");
                if (g.tabIndex < 0) found.push("a node that cannot be focused");
            }
            return found;
        })()""")
        check(problems == [], f"a basic accessibility check {problems}")
        for _ in range(5):
            browser.press("ArrowRight", "ArrowRight", 39)
        active = browser.evaluate(
            "[...document.querySelectorAll('.node')].filter(g => "
            f"g.querySelector('rect').getAttribute('fill') === '{YELLOW}')"
            ".map(g => g.getAttribute('aria-label').split(',')[0])")
        check(active == ["x2*w2"], f"after five presses of → the yellow node is x2*w2 ({active})")
        check(browser.evaluate("location.hash") == "#step=5", "the URL says #step=5")
        first = browser.screenshot(os.path.join(shots, "player-1280x800.png"))
        check(len(first) > 10_000, f"a 1280x800 screenshot at step 5 ({len(first)} bytes)")

        # the inspector writes a sum's derivative with its brackets: d(x1*w1 + x2*w2)/d(x1*w1)
        inspector = browser.evaluate(
            "(() => { const g = document.querySelector('#v6'); g.dispatchEvent(new Event('click'));"
            " return document.getElementById('inspector').textContent; })()")
        check("d(x1*w1 + x2*w2)/d(x1*w1) = 1" in inspector,
              f"the inspector brackets a sum in a derivative ({inspector[:160]!r})")

        browser.open(url + "#step=11", 1280, 800)
        states = browser.evaluate("[...document.querySelectorAll('.node')].map(g => g.dataset.state)")
        check(len(states) == 10 and set(states) == {"done"}, f"#step=11 opens with every node done ({states})")

        browser.open(url + "#step=5", 390, 844)
        phone = browser.screenshot(os.path.join(shots, "player-390x844.png"))
        check(len(phone) > 5_000, f"a 390x844 screenshot ({len(phone)} bytes)")
        width = browser.evaluate("document.documentElement.scrollWidth")
        check(width <= 390, f"no sideways scrolling on a phone ({width} px wide)")
        check(browser.errors() == [], "no console errors on the way")
        if len(sys.argv) > 3:
            network = "file://" + os.path.abspath(sys.argv[3])
            browser.open(network, 1280, 800)
            browser.press("End", "End", 35)
            states = browser.evaluate("[...document.querySelectorAll('.node')].map(g => g.dataset.state)")
            check(len(states) > 3 and set(states) == {"done"},
                  f"the network's page steps to the end, every neuron done ({len(states)} nodes)")
            check(browser.errors() == [], "the network's page has no console errors")
    finally:
        browser.close()


if __name__ == "__main__":
    main()
