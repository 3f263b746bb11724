"""The project's loopback Graph API: Meta's shapes and faults, for tests and benchmarks.

It binds 127.0.0.1 on a free port and answers the few endpoints the addon calls, with
Meta's success and error bodies; faults are queued with :meth:`GraphMock.fail_next`.
The payload factories below build Meta's webhook envelopes exactly as documented and
double as documentation of what the webhook controller accepts.
"""

import itertools
import json
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import requests

from ..tools.meta_api import compute_signature


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes; without TCP_NODELAY the client waits for a
    # delayed ACK (40 ms) on every call, which would be the mock measuring itself.
    disable_nagle_algorithm = True

    def log_message(self, *_args):  # keep test output clean
        pass

    def _reply(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _handle(self, method):
        mock = self.server.mock
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        path = self.path.split("?", 1)[0]
        record = {"method": method, "path": path, "headers": dict(self.headers),
                  "at": time.monotonic(),
                  "query": self.path.split("?", 1)[1] if "?" in self.path else ""}
        content_type = self.headers.get("Content-Type", "")
        if "json" in content_type and raw:
            try:
                record["json"] = json.loads(raw)
            except ValueError:
                record["json"] = None
        elif raw:
            record["form_bytes"] = len(raw)
        with mock.lock:
            mock.requests.append(record)
            fault = mock.faults.pop(0) if mock.faults else None
        if mock.latency:
            time.sleep(mock.latency)
        if not (self.headers.get("Authorization") or "").startswith("Bearer ") or \
                self.headers.get("Authorization") == "Bearer ":
            return self._reply(401, _error(190, "Invalid OAuth access token."))
        if fault:
            lost = fault.get("lost_answer")
            if lost:
                # Meta takes the request (its wamid is kept on the record, for status
                # webhooks), then the answer is lost on the way back.
                status, body = mock.route(method, path, record)
                if lost == "hang":  # answered once the client has given up
                    time.sleep(fault.get("hang", 15))
                    return self._reply(status, body)
                if lost == "drop":  # the connection closes without an answer
                    self.close_connection = True
                    return None
                if lost == "no_id":
                    return self._reply(status, {k: v for k, v in body.items()
                                                if k != "messages"})
                return status, b"<html><body>upstream error</body></html>", "text/html"
            if fault.get("timeout"):
                time.sleep(fault.get("hang", 15))
                return self._reply(504, _error(None, "timeout"))
            return self._reply(fault["http_status"], _error(fault.get("code"),
                                                            fault.get("message")))
        return mock.route(method, path, record)

    def do_GET(self):  # noqa: N802 - http.server's naming
        self._handle("GET")

    def do_POST(self):  # noqa: N802
        self._handle("POST")


class _Server(ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        """A client that went away (a killed worker, a timeout) is part of the game."""
        if isinstance(sys.exc_info()[1], ConnectionError):
            return None
        return super().handle_error(request, client_address)


def _error(code, message):
    return {"error": {"message": message or f"(#{code}) error", "type": "OAuthException",
                      "code": code, "error_data": {"messaging_product": "whatsapp",
                                                   "details": message or ""},
                      "fbtrace_id": "MOCK" + uuid.uuid4().hex[:8]}}


class GraphMock:
    def __init__(self, latency=0.0, app_secret="mock-secret"):
        self.latency = latency
        self.app_secret = app_secret
        self.lock = threading.Lock()
        self.requests = []
        self.faults = []
        self.templates = []
        self.inbound_media = {}  # media id -> (mime type, bytes): what customers "sent"
        self._counter = itertools.count(1)
        self._server = None
        self._thread = None

    # lifecycle
    def start(self):
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.daemon_threads = True
        self._server.mock = self
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self):
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *_exc):
        self.stop()

    @property
    def url(self):
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def reset(self):
        with self.lock:
            self.requests.clear()
            self.faults.clear()

    def fail_next(self, n=1, *, http_status=500, code=None, message=None, timeout=False,
                  hang=15, lost_answer=None):
        """The next `n` calls fail: Meta's error (`http_status`, `code`), a hang of `hang`
        seconds (`timeout`), or, with `lost_answer`, Meta takes the request and its answer
        is lost: "hang" (answered after `hang` seconds, past the client's timeout), "drop"
        (the connection closes unanswered), "no_id" (200 without a ``messages`` array),
        "not_json" (200 with a body that is not JSON)."""
        with self.lock:
            for _i in range(n):
                self.faults.append({"http_status": http_status, "code": code,
                                    "message": message, "timeout": timeout, "hang": hang,
                                    "lost_answer": lost_answer})

    def sent_messages(self):
        with self.lock:
            return [r["json"] for r in self.requests
                    if r["method"] == "POST" and r["path"].endswith("/messages")]

    # endpoints
    def route(self, method, path, record):
        parts = [p for p in path.split("/") if p]
        tail = parts[-1] if parts else ""
        if method == "POST" and tail == "messages":
            body = record.get("json") or {}
            to = str(body.get("to", ""))
            # Kept on the request's record, as Meta keeps it: status webhooks can follow.
            record["wamid"] = f"wamid.MOCK{next(self._counter):08d}{uuid.uuid4().hex[:8].upper()}"
            return self._answer(200, {
                "messaging_product": "whatsapp",
                "contacts": [{"input": to, "wa_id": to}],
                "messages": [{"id": record["wamid"], "message_status": "accepted"}],
            })
        if method == "POST" and tail == "media":
            return self._answer(200, {"id": f"{next(self._counter)}{uuid.uuid4().int % 10**9}"})
        if method == "POST" and tail == "message_templates":
            body = record.get("json") or {}
            template = {"id": str(10**14 + next(self._counter)), "status": "PENDING",
                        "category": body.get("category", "UTILITY"), "name": body.get("name"),
                        "language": body.get("language")}
            with self.lock:
                self.templates.append(template)
            return self._answer(200, {k: template[k] for k in ("id", "status", "category")})
        if method == "GET" and tail == "message_templates":
            query = dict(p.split("=", 1) for p in record["query"].split("&") if "=" in p)
            limit = int(query.get("limit", 25))
            start = int(query.get("after", 0) or 0)
            page = self.templates[start:start + limit]
            paging = {}
            if start + limit < len(self.templates):
                paging = {"cursors": {"after": str(start + limit)},
                          "next": f"{self.url}{record['path']}?after={start + limit}"}
            return self._answer(200, {"data": page, "paging": paging})
        if method == "GET" and len(parts) >= 2 and parts[-2] == "download":
            mime, content = self.inbound_media.get(tail, (None, None))
            if content is None:
                return self._answer(404, _error(131052, "Media not found"))
            return 200, content, mime
        if method == "GET" and tail in self.inbound_media:
            mime, content = self.inbound_media[tail]
            return self._answer(200, {"messaging_product": "whatsapp", "id": tail,
                                      "url": f"{self.url}/download/{tail}", "mime_type": mime,
                                      "sha256": "mock", "file_size": len(content)})
        if method == "GET":
            return self._answer(200, {"display_phone_number": "+51 1 555 0100",
                                      "verified_name": "Mock Business",
                                      "quality_rating": "GREEN", "id": tail})
        return self._answer(404, _error(100, "Unknown path"))

    def _answer(self, status, body):
        return status, body


# _Handler.route results are (status, body); adapt the handler to send them.
_original_handle = _Handler._handle


def _handle_and_reply(self, method):
    result = _original_handle(self, method)
    if isinstance(result, tuple) and len(result) == 3:
        status, content, mime = result
        self.send_response(status)
        self.send_header("Content-Type", mime or "application/octet-stream")
        self.send_header("Content-Length", str(len(content)))
        self.end_headers()
        self.wfile.write(content)
    elif isinstance(result, tuple):
        self._reply(*result)


_Handler._handle = _handle_and_reply


# --- Meta webhook payload factories ----------------------------------------------------

def envelope(value, field="messages", waba_id="WABA1"):
    return {"object": "whatsapp_business_account",
            "entry": [{"id": waba_id, "changes": [{"field": field, "value": value}]}]}


def _metadata(phone_number_id):
    return {"display_phone_number": "15550100", "phone_number_id": phone_number_id}


def status_item(wamid, status, timestamp=None, recipient_id="51987654321", errors=None,
                category="utility", callback_data=None, pricing=True, conversation=True,
                billable=True):
    """A status as Meta sends it. Meta puts ``pricing`` on one status of a message (sent, or
    delivered/read): ``pricing=False`` leaves it out; ``billable`` (being deprecated) is left
    out with ``billable=None``. Since v24 ``conversation`` is mostly absent too."""
    item = {"id": wamid, "status": status, "timestamp": str(timestamp or int(time.time())),
            "recipient_id": recipient_id}
    if pricing:
        item["pricing"] = {"pricing_model": "PMP", "type": "regular", "category": category}
        if billable is not None:
            item["pricing"]["billable"] = billable
    if status != "failed" and conversation:
        item["conversation"] = {"id": "CONV" + wamid[-8:], "origin": {"type": category}}
    if errors:
        item["errors"] = errors
    if callback_data:
        item["biz_opaque_callback_data"] = callback_data
    return item


def status_payload(statuses, waba_id="WABA1", phone_number_id="PNID1"):
    return envelope({"messaging_product": "whatsapp", "metadata": _metadata(phone_number_id),
                     "statuses": statuses}, waba_id=waba_id)


def _inbound(from_, message, name="María Quispe", waba_id="WABA1", phone_number_id="PNID1",
             group_id=None, contacts=True):
    message.setdefault("from", from_)
    message.setdefault("id", "wamid.IN" + uuid.uuid4().hex.upper())
    message.setdefault("timestamp", str(int(time.time())))
    if group_id:
        message["group_id"] = group_id
    value = {"messaging_product": "whatsapp", "metadata": _metadata(phone_number_id),
             "messages": [message]}
    if contacts:
        value["contacts"] = [{"profile": {"name": name}, "wa_id": from_}]
    return envelope(value, waba_id=waba_id)


def inbound_text_payload(from_, text, context_id=None, **kwargs):
    message = {"type": "text", "text": {"body": text}}
    if context_id:
        message["context"] = {"from": "15550100", "id": context_id}
    return _inbound(from_, message, **kwargs)


def inbound_button_payload(from_, text, payload, context_id, **kwargs):
    return _inbound(from_, {"type": "button", "button": {"text": text, "payload": payload},
                            "context": {"from": "15550100", "id": context_id}}, **kwargs)


def inbound_interactive_payload(from_, reply_id, title, kind="button_reply", **kwargs):
    return _inbound(from_, {"type": "interactive",
                            "interactive": {"type": kind, kind: {"id": reply_id,
                                                                 "title": title}}}, **kwargs)


def inbound_media_payload(from_, media_id, kind="image", mime_type="image/jpeg",
                          caption=None, filename=None, **kwargs):
    media = {"id": media_id, "mime_type": mime_type, "sha256": "abc123"}
    if caption:
        media["caption"] = caption
    if filename:
        media["filename"] = filename
    return _inbound(from_, {"type": kind, kind: media}, **kwargs)


def system_payload(from_, kind="user_changed_number", new_wa_id=None, **kwargs):
    """Meta's system message: a customer changed number (``wa_id`` the new one) or user
    id. It comes without a contacts array."""
    system = {"type": kind, "body": f"User {from_} changed to {new_wa_id}" if new_wa_id
              else "User changed"}
    if new_wa_id:
        system["wa_id"] = new_wa_id
    return _inbound(from_, {"type": "system", "system": system}, contacts=False, **kwargs)


def reaction_payload(from_, message_id, emoji="\U0001f44d", **kwargs):
    """A customer's reaction to one of our messages; an empty emoji removes it."""
    reaction = {"message_id": message_id}
    if emoji:
        reaction["emoji"] = emoji
    return _inbound(from_, {"type": "reaction", "reaction": reaction}, **kwargs)


def template_status_payload(template_id, name, event, reason=None, language="es",
                            waba_id="WABA1"):
    value = {"event": event, "message_template_id": int(template_id),
             "message_template_name": name, "message_template_language": language,
             "reason": reason or "NONE"}
    payload = envelope(value, field="message_template_status_update", waba_id=waba_id)
    payload["entry"][0]["time"] = int(time.time())
    return payload


def post_signed_webhook(url, payload, app_secret, *, timeout=10, bad_signature=False,
                        session=None):
    """Meta's POST, signed with the App Secret (or forged). `session`: an HttpCase's
    ``self.opener``, so that the test server takes the request."""
    raw = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    signature = compute_signature("wrong" if bad_signature else app_secret, raw)
    return (session or requests).post(url, data=raw, timeout=timeout,
                                      headers={"Content-Type": "application/json",
                                               "X-Hub-Signature-256": signature})
