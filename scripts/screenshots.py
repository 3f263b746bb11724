"""Screenshots of the demo for the README, taken by headless Chromium.

    .venv/bin/python scripts/screenshots.py --url http://127.0.0.1:8069 -d cobranza_demo

Logs in as admin (a session cookie handed to the browser through the DevTools protocol),
opens each page, waits for it to settle and saves a PNG under docs/screenshots/.
"""

import argparse
import base64
import json
import os
import shutil
import subprocess
import tempfile
import time

import requests
import websocket

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def login(url, db, user, password):
    session = requests.Session()
    answer = session.post(f"{url}/web/session/authenticate", json={
        "jsonrpc": "2.0", "params": {"db": db, "login": user, "password": password}},
        timeout=30)
    answer.raise_for_status()
    if answer.json().get("error"):
        raise SystemExit(f"Login failed: {answer.json()['error'].get('message')}")
    return session.cookies["session_id"]


class Browser:
    def __init__(self, width, height):
        chrome = shutil.which("chromium") or shutil.which("google-chrome")
        if not chrome:
            raise SystemExit("Chromium is needed: scripts/setup.sh installs it.")
        self.profile = tempfile.mkdtemp(prefix="cobranza-shots-")
        port = 9333
        self.process = subprocess.Popen([
            chrome, "--headless=new", "--no-sandbox", "--disable-gpu",
            f"--remote-debugging-port={port}", f"--user-data-dir={self.profile}",
            f"--window-size={width},{height}", "about:blank",
        ], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _attempt in range(50):
            try:
                targets = requests.get(f"http://127.0.0.1:{port}/json", timeout=2).json()
                page = next(t for t in targets if t["type"] == "page")
                break
            except (requests.RequestException, StopIteration, ValueError):
                time.sleep(0.2)
        else:
            raise SystemExit("Chromium did not start.")
        self.ws = websocket.create_connection(page["webSocketDebuggerUrl"], timeout=60)
        self.next_id = 0
        self.call("Emulation.setDeviceMetricsOverride", width=width, height=height,
                  deviceScaleFactor=1, mobile=False)

    def call(self, method, **params):
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv())
            if message.get("id") == self.next_id:
                return message.get("result", {})

    def shot(self, url, path, settle=6.0, click=None):
        self.call("Page.navigate", url=url)
        time.sleep(settle)
        if click:
            self.call("Runtime.evaluate", expression=(
                f"[...document.querySelectorAll({json.dumps(click[0])})]"
                f".find(e => e.textContent.includes({json.dumps(click[1])}))?.click()"))
            time.sleep(2.0)
        data = self.call("Page.captureScreenshot", format="png")["data"]
        with open(path, "wb") as handle:
            handle.write(base64.b64decode(data))

    def close(self):
        self.ws.close()
        self.process.terminate()
        shutil.rmtree(self.profile, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", default="http://127.0.0.1:8069")
    parser.add_argument("-d", "--database", default="cobranza_demo")
    parser.add_argument("--invoice", type=int, required=True, help="an overdue invoice's id")
    parser.add_argument("--partner", type=int, required=True, help="a customer's id")
    parser.add_argument("--reply", type=int, help="a reply's id (one that needs a person)")
    parser.add_argument("--answered", type=int,
                        help="a reply the product answered by itself (its conversation)")
    parser.add_argument("--proof", type=int, help="a proof of payment's id")
    parser.add_argument("--tab", default="Cobranza",
                        help="the collections tab's label in the admin's language")
    args = parser.parse_args()
    out = os.path.join(ROOT, "docs", "screenshots")
    os.makedirs(out, exist_ok=True)
    cookie = login(args.url, args.database, "admin", "admin")
    browser = Browser(1440, 900)
    try:
        host = args.url.split("//", 1)[1].split(":")[0]
        browser.call("Network.enable")
        browser.call("Network.setCookie", name="session_id", value=cookie, domain=host,
                     path="/")
        # The first page load compiles and caches the assets: wait for it once.
        browser.shot(f"{args.url}/odoo", os.path.join(out, ".warmup.png"), settle=15.0)
        os.remove(os.path.join(out, ".warmup.png"))
        tab = ("a.nav-link", args.tab)
        browser.shot(f"{args.url}/odoo/account.move/{args.invoice}",
                     os.path.join(out, "invoice-collections-tab.png"), click=tab)
        browser.shot(f"{args.url}/odoo/res.partner/{args.partner}",
                     os.path.join(out, "customer-collections-tab.png"), click=tab)
        browser.shot(f"{args.url}/odoo/action-cobranza_whatsapp.cobranza_work_item_action",
                     os.path.join(out, "work-queue.png"))
        browser.shot(f"{args.url}/odoo/action-cobranza_whatsapp.cobranza_dashboard_action",
                     os.path.join(out, "dashboard.png"), settle=6.0)
        browser.shot(f"{args.url}/odoo/action-cobranza_whatsapp.cobranza_message_report_action",
                     os.path.join(out, "message-analysis.png"))
        browser.shot(f"{args.url}/odoo/action-cobranza_whatsapp.cobranza_aging_report_action",
                     os.path.join(out, "receivables-aging.png"))
        if args.reply:
            browser.shot(
                f"{args.url}/odoo/action-cobranza_whatsapp.cobranza_message_action/{args.reply}",
                os.path.join(out, "reply-conversation.png"))
        if args.answered:
            browser.shot(
                f"{args.url}/odoo/action-cobranza_whatsapp.cobranza_message_action/"
                f"{args.answered}", os.path.join(out, "automatic-answer.png"))
        if args.proof:
            browser.shot(
                f"{args.url}/odoo/action-cobranza_whatsapp.cobranza_payment_proof_action/"
                f"{args.proof}", os.path.join(out, "proof-of-payment.png"))
    finally:
        browser.close()
    print(f"Screenshots in {out}")


if __name__ == "__main__":
    main()
