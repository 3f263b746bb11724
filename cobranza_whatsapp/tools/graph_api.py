"""The one HTTP client for Meta's Graph API (WhatsApp Cloud API), and its sandbox twin.

Plain Python, no ORM: a client holds the plain values of one account (base URL, version,
token, timeout, ids), so the sender's threads can use it without touching the database.
Every call the product makes to Meta is a method here; every answer goes through
:meth:`GraphApi._request`, the one place that turns Meta's error bodies and network failures
into :class:`~.meta_api.MetaError`. The account picks the class
(``cobranza.whatsapp.account._graph_api()``), the way ``res.company`` picks the SMS API.

:class:`SandboxGraphApi` answers like Meta without a network call, so the demo and the tests
run everything above the wire unchanged.
"""

import threading
import urllib.parse
import uuid

import requests
import urllib3

from . import meta_api, sample_document
from .i18n import _lt

DEFAULT_TIMEOUT = 10
TEMPLATE_FIELDS = "id,name,status,category,language,quality_score,rejected_reason"
# What the set-up check reads of the number: name and its review, quality, whether it is
# registered on the Cloud API, and the portfolio's messaging limit.
PHONE_FIELDS = ("display_phone_number,verified_name,name_status,quality_rating,"
                "code_verification_status,platform_type,status,throughput,"
                "whatsapp_business_manager_messaging_limit")
MAX_TEMPLATE_PAGES = 100

# Where an account's token may go: Meta's Graph API, over https only. Another address (a
# test double, a proxy) is allowed only by a system administrator, in this system parameter:
# a comma-separated list of ``host`` (any port) or ``host:port``.
META_API_HOST = "graph.facebook.com"
ALLOWED_HOSTS_PARAM = "cobranza_whatsapp.allowed_api_hosts"
# Meta hands out media downloads on its own CDN; the token goes there only over https.
META_MEDIA_HOST_SUFFIXES = (".fbsbx.com", ".facebook.com", ".fbcdn.net", ".whatsapp.net")
API_URL_REFUSED = _lt("The API URL %(url)s is not Meta's Graph API (https://graph.facebook.com) "
                      "and its host is not in the system parameter %(param)s: nothing is sent "
                      "there. A system administrator can correct the URL or allow the host.")

# One pooled HTTP session per thread: reusing TCP/TLS connections is what lets one worker
# send hundreds of messages per second, and a session is not shared between threads.
_sessions = threading.local()


class ApiUrlRefused(meta_api.MetaError):
    """The account's API address is neither Meta's nor allowed: no request was made.

    An account problem (the queue waits for a manager), never a reason to fail a message.
    """

    def __init__(self, url):
        super().__init__("API URL refused", code=None)
        self.url = _display_url(url)
        self.kind = meta_api.ACCOUNT

    def __str__(self):
        return API_URL_REFUSED % {"url": self.url, "param": ALLOWED_HOSTS_PARAM}


def _display_url(url):
    """The URL without any credentials or query, for a message."""
    try:
        parts = urllib.parse.urlsplit(str(url or ""))
        netloc = parts.hostname or ""
        if parts.port:
            netloc = f"{netloc}:{parts.port}"
    except ValueError:
        return "?"
    return f"{parts.scheme}://{netloc}{parts.path}"[:200]


def parse_allowed_hosts(value):
    """The allowed ``host`` / ``host:port`` entries, lower-cased, from the system parameter's
    comma-separated text (or an iterable of entries)."""
    entries = value.split(",") if isinstance(value, str) else (value or ())
    return frozenset(str(entry).strip().lower() for entry in entries if str(entry).strip())


def api_url_allowed(url, allowed_hosts=(), *, media=False):
    """Whether a request carrying the token may go to `url`: Meta's Graph API over https
    (with `media`, Meta's media CDN over https too), or a host the system parameter allows
    (``host`` for any port, ``host:port`` for one), over http or https. Nothing but
    http(s), no credentials, no characters two URL parsers could read differently."""
    url = str(url or "")
    if not url or any(char in url for char in "@\\") or any(
            char.isspace() or ord(char) < 32 for char in url):
        return False
    try:
        parts = urllib.parse.urlsplit(url)
        port = parts.port
    except ValueError:
        return False
    scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
    if scheme not in ("http", "https") or not host:
        return False
    if scheme == "https" and port in (None, 443) and (
            host == META_API_HOST or (media and host.endswith(META_MEDIA_HOST_SUFFIXES))):
        return True
    allowed = parse_allowed_hosts(allowed_hosts)
    default_port = 443 if scheme == "https" else 80
    return host in allowed or f"{host}:{port or default_port}" in allowed


def check_api_url(url, allowed_hosts=(), *, media=False):
    """`url` if the token may go there (see :func:`api_url_allowed`), else ApiUrlRefused."""
    if not api_url_allowed(url, allowed_hosts, media=media):
        raise ApiUrlRefused(url)
    return url


def _session():
    session = getattr(_sessions, "session", None)
    if session is None:
        session = _sessions.session = requests.Session()
    return session


class GraphApi:
    """Meta's Graph API for one WhatsApp Business phone number."""

    def __init__(self, *, api_url, version, token, timeout=DEFAULT_TIMEOUT,
                 phone_number_id=None, waba_id=None, app_id=None, allowed_hosts=()):
        # The token goes nowhere but Meta (or a host a system administrator allowed).
        self.allowed_hosts = parse_allowed_hosts(allowed_hosts)
        api_url = check_api_url(api_url or meta_api.DEFAULT_API_URL, self.allowed_hosts)
        self.base_url = f"{api_url.rstrip('/')}/{version}"
        self.token = token or ""
        self.timeout = timeout or DEFAULT_TIMEOUT
        self.phone_number_id = phone_number_id or ""
        self.waba_id = waba_id or ""
        self.app_id = app_id or ""

    def __repr__(self):  # never the token
        return f"<{type(self).__name__} {self.base_url} number={self.phone_number_id}>"

    # === THE ONE WAY OUT === #

    def _headers(self, auth="Bearer"):
        return {"Authorization": f"{auth} {self.token}"}

    def _request(self, method, path, *, json=None, params=None, data=None, files=None,
                 headers=None, absolute=False, raw=False):
        """One HTTP call; Meta's answer as a dict (with `raw`, the response itself), or
        ``MetaError``: ``MetaTransportError`` when Meta could not be reached or its answer
        could not be read, with ``maybe_sent`` when the request may have reached Meta all
        the same (then Meta may have acted on it: a message is not sent again blindly)."""
        url = path if absolute else f"{self.base_url}/{path.lstrip('/')}"
        # An address Meta handed out (a media download) is checked too: never the token
        # to a host that is not Meta's.
        check_api_url(url, self.allowed_hosts, media=absolute)
        try:
            response = _session().request(
                method, url, json=json, params=params, data=data, files=files,
                headers=headers or self._headers(), timeout=self.timeout,
            )
        except requests.exceptions.RequestException as error:
            # Certainly not sent only when nothing was written: no connection was made
            # (refused, DNS, connect timeout: what urllib3 itself deems safe to retry) or the
            # request could not even be built. Anything else (a read timeout, a reset or a
            # broken answer once the request had left) may have reached Meta.
            cause = error.args[0] if error.args else None
            never_sent = isinstance(error, (
                requests.exceptions.ConnectTimeout, requests.exceptions.URLRequired,
                requests.exceptions.MissingSchema, requests.exceptions.InvalidSchema,
                requests.exceptions.InvalidURL, requests.exceptions.InvalidJSONError,
            )) or (isinstance(cause, urllib3.exceptions.MaxRetryError)
                   and isinstance(cause.reason, urllib3.exceptions.NewConnectionError))
            raise meta_api.MetaTransportError(message=type(error).__name__,
                                              maybe_sent=not never_sent) from None
        if raw:
            return response
        try:
            body = response.json()
        except ValueError:
            body = None
        if response.status_code >= 400 or (isinstance(body, dict) and "error" in body):
            raise meta_api.parse_error(response.status_code, body)
        if body is None:
            # A success we cannot read: what was asked may have been done.
            raise meta_api.MetaTransportError("Meta's answer is not JSON", maybe_sent=True,
                                              http_status=response.status_code)
        return body if isinstance(body, dict) else {}

    def _fetch(self, url):
        """Bytes behind a URL Meta handed out (media downloads), with the token."""
        response = self._request("GET", url, absolute=True, raw=True)
        if response.status_code >= 400:
            raise meta_api.MetaError("media download failed", code=131052,
                                     http_status=response.status_code)
        return response.content, response.headers.get("Content-Type")

    # === MESSAGES AND MEDIA === #

    def send_message(self, payload):
        """``POST /{phone_number_id}/messages``: Meta's answer (contacts, messages)."""
        return self._request("POST", f"{self.phone_number_id}/messages", json=payload)

    def upload_media(self, content, filename, mimetype="application/pdf"):
        """``POST /{phone_number_id}/media``: the media id (valid 30 days)."""
        answer = self._request(
            "POST", f"{self.phone_number_id}/media",
            data={"messaging_product": "whatsapp", "type": mimetype},
            files={"file": (filename, content, mimetype)},
        )
        if not answer.get("id"):
            raise meta_api.MetaError("Meta's answer has no media id", code=131053)
        return str(answer["id"])

    def download_media(self, media_id):
        """A customer's file: Meta gives a short-lived URL, fetched with the token.
        Returns ``(bytes, mime type)``."""
        info = self._request("GET", str(media_id))
        url = info.get("url")
        if not url:
            raise meta_api.MetaError("Meta gave no download URL", code=131052)
        content, content_type = self._fetch(url)
        return content, info.get("mime_type") or content_type

    # === RESUMABLE UPLOAD (template examples) === #

    def start_upload(self, file_name, file_length, file_type="application/pdf"):
        """``POST /{app_id}/uploads``: an upload session id (``upload:...``)."""
        if not self.app_id:
            raise meta_api.MetaError("the account has no Meta App ID", code=100)
        answer = self._request("POST", f"{self.app_id}/uploads", params={
            "file_name": file_name, "file_length": file_length, "file_type": file_type})
        if not answer.get("id"):
            raise meta_api.MetaError("Meta's answer has no upload session", code=100)
        return str(answer["id"])

    def upload_bytes(self, session_id, content):
        """``POST /{upload session}`` with ``OAuth`` auth and ``file_offset: 0``: the
        handle a template header example takes."""
        headers = dict(self._headers("OAuth"), file_offset="0")
        answer = self._request("POST", session_id, data=content, headers=headers)
        if not answer.get("h"):
            raise meta_api.MetaError("Meta's answer has no upload handle", code=100)
        return str(answer["h"])

    def upload_example(self, content, file_name, file_type="application/pdf"):
        """Both steps of the Resumable Upload API: the ``header_handle`` of an example."""
        session_id = self.start_upload(file_name, len(content), file_type)
        return self.upload_bytes(session_id, content)

    # === TEMPLATES === #

    def create_template(self, payload):
        """``POST /{waba_id}/message_templates``: ``{id, status, category}``."""
        return self._request("POST", f"{self.waba_id}/message_templates", json=payload)

    def edit_template(self, template_id, payload):
        """``POST /{template_id}``: a rejected (or approved) template's new components, for
        Meta to review again."""
        body = {key: payload[key] for key in ("components", "category",
                                             "message_send_ttl_seconds") if key in payload}
        return self._request("POST", str(template_id), json=body)

    def list_templates(self, page_size=100, fields=TEMPLATE_FIELDS):
        """Every template of the WABA, page after page (Meta's cursor paging: a page with
        no ``paging.next`` is the last)."""
        params = {"fields": fields, "limit": page_size}
        for _page in range(MAX_TEMPLATE_PAGES):
            answer = self._request("GET", f"{self.waba_id}/message_templates", params=params)
            yield from answer.get("data") or []
            paging = answer.get("paging") or {}
            after = (paging.get("cursors") or {}).get("after")
            if not paging.get("next") or not after:
                return
            params = dict(params, after=after)

    # === NUMBER AND BUSINESS ACCOUNT === #

    def get_phone_number(self, fields=PHONE_FIELDS):
        """``GET /{phone_number_id}``: name, quality, registration and limits."""
        return self._request("GET", self.phone_number_id, params={"fields": fields})

    def get_subscribed_apps(self):
        """``GET /{waba_id}/subscribed_apps``: the apps receiving this WABA's webhooks."""
        return self._request("GET", f"{self.waba_id}/subscribed_apps")

    def subscribe_app(self):
        """``POST /{waba_id}/subscribed_apps``: this token's app gets the WABA's webhooks."""
        return self._request("POST", f"{self.waba_id}/subscribed_apps")

    def register_number(self, pin):
        """``POST /{phone_number_id}/register``: the number on the Cloud API, with its
        two-step verification PIN (six digits)."""
        return self._request("POST", f"{self.phone_number_id}/register",
                             json={"messaging_product": "whatsapp", "pin": str(pin)})


# The media ids of the receipts the sandbox's simulated customers send.
SANDBOX_RECEIPT = "sandbox-receipt-"


class SandboxGraphApi(GraphApi):
    """Meta's answers, simulated: nothing leaves the server.

    `templates` returns the account's known templates (for the list call), `profile` the
    phone number's details; templates are approved at once.
    """

    def __init__(self, *, templates=None, profile=None, **kwargs):
        kwargs.setdefault("api_url", meta_api.DEFAULT_API_URL)
        kwargs.setdefault("version", meta_api.DEFAULT_API_VERSION)
        kwargs.setdefault("token", "")
        kwargs.setdefault("app_id", "sandbox")
        super().__init__(**kwargs)
        self._templates = templates or list
        self._profile = profile or {}

    def _request(self, method, path, *, json=None, params=None, data=None, files=None,
                 headers=None, absolute=False):
        tail = path.rstrip("/").rsplit("/", 1)[-1]
        if method == "POST" and tail == "messages":
            to = str((json or {}).get("to", ""))
            return {"messaging_product": "whatsapp",
                    "contacts": [{"input": to, "wa_id": to}],
                    "messages": [{"id": f"wamid.SANDBOX{uuid.uuid4().hex.upper()}",
                                  "message_status": "accepted"}]}
        if method == "POST" and tail == "media":
            return {"id": f"sandbox-media-{uuid.uuid4().hex[:16]}"}
        if method == "POST" and tail == "uploads":
            return {"id": f"upload:sandbox-{uuid.uuid4().hex[:16]}"}
        if method == "POST" and tail.startswith("upload:"):
            return {"h": f"sandbox-handle-{uuid.uuid4().hex[:16]}"}
        if method == "POST" and tail == "message_templates":
            return {"id": f"sandbox-tpl-{uuid.uuid4().hex[:12]}", "status": "APPROVED",
                    "category": (json or {}).get("category", "UTILITY")}
        if method == "GET" and tail == "message_templates":
            return {"data": [dict(t, status="APPROVED", quality_score={"score": "GREEN"})
                             for t in self._templates()],
                    "paging": {"cursors": {"before": "0", "after": "0"}}}
        if method == "GET" and tail == "subscribed_apps":
            return {"data": [{"whatsapp_business_api_data": {"name": "Sandbox"}}]}
        if method == "GET":
            return dict({"display_phone_number": "+51 1 555 0100", "quality_rating": "GREEN",
                         "verified_name": "Sandbox", "name_status": "APPROVED",
                         "platform_type": "CLOUD_API", "status": "CONNECTED",
                         "code_verification_status": "VERIFIED",
                         "whatsapp_business_manager_messaging_limit": "TIER_UNLIMITED",
                         "id": self.phone_number_id or "sandbox"},
                        **self._profile)
        return {"success": True}

    def download_media(self, media_id):
        """A simulated customer's transfer receipt (a PNG drawn here); no other file."""
        if str(media_id).startswith(SANDBOX_RECEIPT):
            return sample_document.receipt_png(str(media_id)), "image/png"
        return None, None
