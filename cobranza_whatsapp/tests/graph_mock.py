"""The project's loopback Graph API: Meta's shapes and faults, for tests and benchmarks.

It binds 127.0.0.1 on a free port and answers the few endpoints the addon calls, with
Meta's success and error bodies; faults are queued with :meth:`GraphMock.fail_next`.
The payload factories below build Meta's webhook envelopes exactly as documented and
double as documentation of what the webhook controller accepts.
"""

import itertools
import json
import re
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
            if "multipart/form-data" in content_type:
                record["form"] = _multipart(raw)
        record["body_bytes"] = len(raw)
        with mock.lock:
            mock.requests.append(record)
            fault = mock.faults.pop(0) if mock.faults else None
        if mock.latency:
            time.sleep(mock.latency)
        if not mock.authorized(path, self.headers.get("Authorization") or ""):
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


def _error(code, message, *, user_title=None, user_msg=None, subcode=None):
    """Meta's error body; creation refusals carry ``error_user_title``/``error_user_msg``."""
    error = {"message": message or f"(#{code}) error", "type": "OAuthException",
             "code": code, "error_data": {"messaging_product": "whatsapp",
                                          "details": message or ""},
             "fbtrace_id": "MOCK" + uuid.uuid4().hex[:8]}
    if user_title:
        error.update(error_user_title=user_title, error_user_msg=user_msg or "",
                     is_transient=False)
    if subcode:
        error["error_subcode"] = subcode
    return {"error": error}


def _multipart(raw):
    """The field names of a multipart body (``file`` under ``files``) and its text values."""
    form = {"files": []}
    for part in raw.split(b"\r\n--"):
        head, _sep, value = part.partition(b"\r\n\r\n")
        name = re.search(rb'name="([^"]+)"', head)
        if not name:
            continue
        key = name.group(1).decode()
        if b"filename=" in head:
            form["files"].append(key)
        else:
            form[key] = value.rstrip(b"\r\n-").decode(errors="replace")
    return form


def _components_of(template):
    """What the send checks need of an approved template."""
    return {"variables": len(set(re.findall(r"\{\{(\d+)\}\}", template.get("body") or ""))),
            "document": template.get("header") == "DOCUMENT"}


def _components_of_payload(body):
    text, document = "", False
    for component in body.get("components") or []:
        if component.get("type") == "BODY":
            text = component.get("text") or ""
        if component.get("type") == "HEADER" and component.get("format") == "DOCUMENT":
            document = True
    return _components_of({"body": text, "header": "DOCUMENT" if document else None})


SERVICE_WINDOW_SECONDS = 24 * 3600
# wa_id -> when this module last built a message of theirs (they wrote to the business).
_WRITTEN = {}


def _text_ok(value, limit, required=True):
    if value is None:
        return not required
    return isinstance(value, str) and (bool(value.strip()) or not required) \
        and len(value) <= limit


def _interactive_ok(interactive):
    """Meta's limits: reply buttons 1-3 (id <= 256, title <= 20, both unique), body
    <= 1,024; lists: button label <= 20, 1-10 sections, 1-10 rows in all (id <= 200
    unique, title <= 24, description <= 72), section titles <= 24 (required with several
    sections), body <= 4,096; text header <= 60, footer <= 60."""
    kind = interactive.get("type")
    header, footer = interactive.get("header"), interactive.get("footer")
    if header and not (header.get("type") == "text" and _text_ok(header.get("text"), 60)):
        return False
    if footer and not _text_ok(footer.get("text"), 60):
        return False
    body = (interactive.get("body") or {}).get("text")
    action = interactive.get("action") or {}
    if kind == "button":
        buttons = action.get("buttons") or []
        replies = [b.get("reply") or {} for b in buttons if b.get("type") == "reply"]
        ids = [r.get("id") for r in replies]
        titles = [r.get("title") for r in replies]
        return (_text_ok(body, 1024) and 1 <= len(buttons) <= 3
                and len(replies) == len(buttons)
                and all(_text_ok(i, 256) and i == i.strip() for i in ids)
                and all(_text_ok(t, 20) for t in titles)
                and len(set(ids)) == len(ids) and len(set(titles)) == len(titles))
    if kind == "list":
        sections = action.get("sections") or []
        rows = [row for section in sections for row in section.get("rows") or []]
        ids = [row.get("id") for row in rows]
        return (_text_ok(body, 4096) and _text_ok(action.get("button"), 20)
                and 1 <= len(sections) <= 10 and 1 <= len(rows) <= 10
                and all(section.get("rows") for section in sections)
                and all(_text_ok(section.get("title"), 24, required=len(sections) > 1)
                        for section in sections)
                and all(_text_ok(i, 200) for i in ids) and len(set(ids)) == len(ids)
                and all(_text_ok(row.get("title"), 24) for row in rows)
                and all(_text_ok(row.get("description", ""), 72, required=False)
                        for row in rows))
    return False


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
        self.app_id = "APP1"
        self.template_limit = 250  # per WABA
        self.recategorize = {}  # template name -> the category Meta gives it instead
        self.upload_sessions = {}  # session id -> announced length
        self.media_ids = set()  # ids issued by the media upload
        self.windows = {}  # wa_id -> end of the customer service window (epoch seconds)
        self.refused = []  # failed statuses of free-form messages outside the window
        self.handles = set()  # header handles issued by the upload step
        self.subscribed = True  # the app is subscribed to the WABA's webhooks
        self.phone = {"display_phone_number": "+51 1 555 0100",
                      "verified_name": "Mock Business", "quality_rating": "GREEN",
                      "code_verification_status": "VERIFIED", "name_status": "APPROVED",
                      "platform_type": "CLOUD_API", "status": "CONNECTED",
                      "throughput": {"level": "STANDARD"},
                      "whatsapp_business_manager_messaging_limit": "TIER_2K"}
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
            self.windows.clear()
            self.refused.clear()
            _WRITTEN.clear()

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

    def customer_wrote(self, wa_id, at=None):
        """The customer `wa_id` wrote to the business: Meta's 24-hour window opens."""
        with self.lock:
            self.windows[str(wa_id)] = (at or time.time()) + SERVICE_WINDOW_SECONDS

    def failed_statuses(self):
        """The ``failed`` statuses Meta sends for free-form messages it took outside the
        customer service window (131047), to post back as a status webhook."""
        with self.lock:
            return list(self.refused)

    # --- Meta's rules the mock enforces (see shared/META_CLOUD_API.md) ---

    def authorized(self, path, header):
        """Bearer on every call; the upload step of the Resumable Upload API takes
        ``OAuth <token>`` instead, and Meta refuses a Bearer there."""
        scheme = "OAuth " if path.rsplit("/", 1)[-1].startswith("upload:") else "Bearer "
        return header.startswith(scheme) and len(header) > len(scheme)

    def approve_templates(self, templates):
        """Templates the WABA already has, approved: each a dict with ``name``, ``language``
        and, for the send checks, ``body`` (its ``{{n}}``), ``header`` ("DOCUMENT" or
        None) and ``category``."""
        with self.lock:
            for template in templates:
                self.templates.append({
                    "id": str(10**14 + next(self._counter)), "status": "APPROVED",
                    "category": template.get("category", "UTILITY"),
                    "name": template["name"], "language": template.get("language", "es"),
                    "components": _components_of(template),
                })

    def set_template_status(self, name, status, category=None):
        with self.lock:
            for template in self.templates:
                if template["name"] == name:
                    template["status"] = status
                    if category:
                        template["category"] = category

    # endpoints
    def route(self, method, path, record):
        parts = [p for p in path.split("/") if p]
        tail = parts[-1] if parts else ""
        if method == "POST" and tail == "messages":
            return self._send(record)
        if method == "POST" and tail == "media":
            return self._media(record)
        if method == "POST" and tail == "uploads":
            return self._start_upload(record)
        if method == "POST" and tail.startswith("upload:"):
            return self._upload(tail, record)
        if method == "POST" and tail == "message_templates":
            return self._create_template(record)
        if method == "GET" and tail == "message_templates":
            return self._list_templates(record)
        if tail == "subscribed_apps":
            if method == "POST":
                with self.lock:
                    self.subscribed = True
                return self._answer(200, {"success": True})
            data = [{"whatsapp_business_api_data": {"id": "APP1", "name": "Cobranza"}}] \
                if self.subscribed else []
            return self._answer(200, {"data": data})
        if method == "POST" and len(parts) == 2 and any(t["id"] == tail for t in self.templates):
            return self._edit_template(tail, record)
        if method == "POST" and tail == "register":
            pin = str((record.get("json") or {}).get("pin") or "")
            if not (pin.isdigit() and len(pin) == 6):
                return self._answer(400, _error(100, "(#100) Param pin must be 6 digits",
                                                user_title="PIN inválido",
                                                user_msg="Enter the 6-digit PIN."))
            with self.lock:
                self.phone["platform_type"] = "CLOUD_API"
                self.phone["status"] = "CONNECTED"
            return self._answer(200, {"success": True})
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
        if method == "GET" and len(parts) == 2:
            fields = dict(p.split("=", 1) for p in record["query"].split("&") if "=" in p)
            wanted = requests.utils.unquote(fields.get("fields", "")).split(",")
            with self.lock:
                phone = dict(self.phone, id=tail)
            # Like the Graph API: only the fields asked for (and the id).
            return self._answer(200, {k: v for k, v in phone.items()
                                      if k == "id" or k in wanted or not fields})
        return self._answer(404, _error(100, "Unknown path"))

    def _send(self, record):
        body = record.get("json") or {}
        to = str(body.get("to", ""))
        if body.get("messaging_product") != "whatsapp" or not to.isdigit():
            return self._answer(400, _error(100, "(#100) Invalid parameter"))
        if body.get("type") == "template":
            refused = self._check_template_message(body.get("template") or {})
            if refused:
                return self._answer(400, refused)
        else:
            refused = self._check_free_form(body)
            if refused:
                return self._answer(400, refused)
        # Kept on the request's record, as Meta keeps it: status webhooks can follow.
        record["wamid"] = f"wamid.MOCK{next(self._counter):08d}{uuid.uuid4().hex[:8].upper()}"
        if body.get("type") != "template" and not self._window_open(to):
            # Meta takes a free-form message outside the customer service window and then
            # fails it: a ``failed`` status with 131047 follows (see failed_statuses()).
            with self.lock:
                self.refused.append(status_item(
                    record["wamid"], "failed", recipient_id=to, pricing=False, errors=[{
                        "code": 131047, "title": "Re-engagement message",
                        "message": "Re-engagement message",
                        "error_data": {"details": "Message failed to send because more than "
                                                  "24 hours have passed since the customer "
                                                  "last replied to this number."}}]))
        return self._answer(200, {
            "messaging_product": "whatsapp",
            "contacts": [{"input": to, "wa_id": to}],
            "messages": [{"id": record["wamid"], "message_status": "accepted"}],
        })

    def _window_open(self, to):
        """Whether `to` wrote within 24 hours: the customers this module's inbound payloads
        describe (they wrote when the payload was built) and those told by customer_wrote."""
        now = time.time()
        with self.lock:
            until = max(self.windows.get(to, 0),
                        _WRITTEN.get(to, 0) + SERVICE_WINDOW_SECONDS if to in _WRITTEN else 0)
        return until > now

    def _check_free_form(self, body):
        """Meta's checks of a text, interactive or document message (Meta's message
        reference: limits of bodies, buttons, lists, documents)."""
        kind = body.get("type")
        invalid = _error(131009, "(#131009) Parameter value is not valid")
        if kind == "text":
            text = (body.get("text") or {}).get("body") or ""
            return None if text and len(text) <= 4096 else _error(100, "(#100) Invalid parameter")
        if kind == "document":
            document = body.get("document") or {}
            if document.get("id"):
                with self.lock:
                    known = document["id"] in self.media_ids
                if not known:
                    return _error(131053, "(#131053) Media upload error")
            elif not str(document.get("link") or "").startswith(("http://", "https://")):
                return _error(100, "(#100) Invalid parameter")
            return invalid if len(document.get("caption") or "") > 1024 else None
        if kind != "interactive":
            return _error(131051, "(#131051) Unsupported message type")
        interactive = body.get("interactive") or {}
        return None if _interactive_ok(interactive) else invalid

    def _check_template_message(self, template):
        """Meta's checks of a template message: an approved template in that language, as
        many body parameters as variables, the header it was approved with."""
        if not self.templates:
            return None  # a WABA the test did not describe: nothing to check against
        language = (template.get("language") or {}).get("code")
        with self.lock:
            known = next((t for t in self.templates if t["name"] == template.get("name")
                          and t["language"] == language), None)
        if not known or known["status"] not in ("APPROVED", "FLAGGED", "REINSTATED"):
            if known and known["status"] == "PAUSED":
                return _error(132015, "(#132015) Template is Paused")
            if known and known["status"] == "DISABLED":
                return _error(132016, "(#132016) Template is disabled")
            return _error(132001, "(#132001) Template name does not exist in the translation")
        components = {c.get("type"): c for c in template.get("components") or []}
        expected = known["components"]
        params = (components.get("body") or {}).get("parameters") or []
        if len(params) != expected["variables"]:
            return _error(132000, "(#132000) Number of parameters does not match the "
                                  "expected number of params")
        if any(len(str(p.get("text") or "")) > 1024 or not str(p.get("text") or "").strip()
               for p in params):
            return _error(132005, "(#132005) Translated text too long")
        # A URL button's parameter is the suffix appended to its approved URL: Meta
        # refuses one without it.
        for button in template.get("components") or []:
            if button.get("type") == "button" and button.get("sub_type") == "url":
                suffix = button.get("parameters") or []
                if len(suffix) != 1 or suffix[0].get("type") != "text" or \
                        not str(suffix[0].get("text") or "").strip():
                    return _error(131008, "(#131008) Required parameter is missing")
        header = (components.get("header") or {}).get("parameters") or []
        if expected["document"]:
            document = header[0].get("document") if header and header[0].get(
                "type") == "document" else None
            if not document or not (document.get("id") or document.get("link")):
                return _error(132012, "(#132012) Parameter format does not match format "
                                      "in the created template")
        return None

    def _media(self, record):
        form = record.get("form") or {}
        if form.get("messaging_product") != "whatsapp" or "file" not in form.get("files", ()):
            return self._answer(400, _error(100, "(#100) The parameter messaging_product is "
                                                 "required."))
        media_id = f"{next(self._counter)}{uuid.uuid4().int % 10**9}"
        with self.lock:
            self.media_ids.add(media_id)
        return self._answer(200, {"id": media_id})

    def _start_upload(self, record):
        query = {k: requests.utils.unquote(v) for k, v in (
            p.split("=", 1) for p in record["query"].split("&") if "=" in p)}
        app_id = record["path"].strip("/").split("/")[-2]
        length = query.get("file_length", "")
        if app_id != self.app_id or not query.get("file_name") or not length.isdigit() \
                or query.get("file_type") not in ("application/pdf", "image/jpeg",
                                                  "image/png", "video/mp4"):
            return self._answer(400, _error(100, "(#100) Invalid upload session parameters",
                                            user_title="Invalid parameter",
                                            user_msg="The upload needs the app ID, a file "
                                                     "name, its length and its type."))
        session = f"upload:MOCK{uuid.uuid4().hex[:12]}"
        with self.lock:
            self.upload_sessions[session] = int(length)
        return self._answer(200, {"id": session})

    def _upload(self, session, record):
        with self.lock:
            length = self.upload_sessions.pop(session, None)
        if length is None or record["headers"].get("file_offset") != "0" \
                or record.get("body_bytes") != length:
            return self._answer(400, _error(100, "(#100) Invalid upload: unknown session, "
                                                 "offset or length"))
        handle = f"4::aW1hZ2{uuid.uuid4().hex}"
        with self.lock:
            self.handles.add(handle)
        return self._answer(200, {"h": handle})

    def _create_template(self, record):
        body = record.get("json") or {}
        refused = self._check_template_creation(body)
        if refused:
            return self._answer(400, refused)
        category = self.recategorize.get(body["name"], body["category"])
        template = {"id": str(10**14 + next(self._counter)), "status": "PENDING",
                    "category": category, "name": body["name"],
                    "language": body["language"], "components": _components_of_payload(body)}
        with self.lock:
            self.templates.append(template)
        return self._answer(200, {k: template[k] for k in ("id", "status", "category")})

    def _edit_template(self, template_id, record):
        body = dict(record.get("json") or {})
        with self.lock:
            template = next(t for t in self.templates if t["id"] == template_id)
        body.update(name=template["name"], language=template["language"],
                    category=body.get("category") or template["category"])
        refused = self._check_template_creation(body, editing=True)
        if refused:
            return self._answer(400, refused)
        with self.lock:
            template.update(status="PENDING", components=_components_of_payload(body))
        return self._answer(200, {"success": True})

    def _check_template_creation(self, body, editing=False):
        """What Meta refuses at creation, with its ``error_user_title``/``error_user_msg``."""
        def refuse(title, message, code=100, subcode=2388043):
            return _error(code, "Invalid parameter", user_title=title, user_msg=message,
                          subcode=subcode)

        name = body.get("name") or ""
        if not re.fullmatch(r"[a-z0-9_]{1,512}", name):
            return refuse("Invalid template name", "Template names can only contain "
                          "lowercase alphanumeric characters and underscores.")
        if body.get("category") not in ("UTILITY", "MARKETING", "AUTHENTICATION"):
            return refuse("Invalid category", "Choose Utility, Marketing or Authentication.")
        if not body.get("language"):
            return refuse("Language missing", "Choose the template's language.")
        with self.lock:
            count = len(self.templates)
            duplicate = any(t["name"] == name and t["language"] == body["language"]
                            for t in self.templates)
        if editing:
            count, duplicate = 0, False
        if count >= self.template_limit:
            return refuse("Template limit reached", "This WhatsApp Business Account has "
                          "reached the limit of 250 message templates.", code=2388019,
                          subcode=None)
        if duplicate:
            return refuse("Content in this language already exists", "There is already a "
                          "template with this name in this language.", subcode=2388024)
        for component in body.get("components") or []:
            kind = component.get("type")
            example = component.get("example") or {}
            if kind == "HEADER" and component.get("format") in ("DOCUMENT", "IMAGE", "VIDEO"):
                handles = example.get("header_handle") or []
                if not handles or handles[0] not in self.handles:
                    return refuse("Media sample missing", "A document header needs a sample "
                                  "file, uploaded with the Resumable Upload API "
                                  "(example.header_handle).")
            if kind == "BODY":
                count = len(set(re.findall(r"\{\{(\d+)\}\}", component.get("text") or "")))
                rows = example.get("body_text") or [[]]
                if count and (len(rows[0]) != count or not all(str(v).strip()
                                                               for v in rows[0])):
                    return refuse("Variable samples missing", "Add a sample for each "
                                  "variable in the body text.")
            if kind == "BUTTONS":
                for button in component.get("buttons") or []:
                    if button.get("type") == "URL" and "{{" in (button.get("url") or "") \
                            and not button.get("example"):
                        return refuse("Variable samples missing", "Add a sample URL for "
                                      "the button's variable.")
        return None

    def _list_templates(self, record):
        query = dict(p.split("=", 1) for p in record["query"].split("&") if "=" in p)
        limit = int(query.get("limit", 25))
        start = int(query.get("after", 0) or 0)
        with self.lock:
            page = [{k: v for k, v in t.items() if k != "components"}
                    for t in self.templates[start:start + limit]]
            total = len(self.templates)
        # Like Meta: cursors on every page, `next` on every page but the last.
        paging = {"cursors": {"before": str(start), "after": str(start + len(page))}}
        if start + limit < total:
            paging["next"] = f"{self.url}{record['path']}?after={start + limit}"
        return self._answer(200, {"data": page, "paging": paging})

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
    if message.get("type") not in ("system", "reaction"):
        # The customer wrote: Meta opens the 24-hour window for free-form messages.
        _WRITTEN[str(from_)] = max(_WRITTEN.get(str(from_), 0), int(message["timestamp"]))
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
