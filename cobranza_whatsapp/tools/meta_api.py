"""Meta's WhatsApp Cloud API: payloads, error classes, signatures, webhook parsing.

No ORM here; the models call these functions and the tests check them without a database.
"""

import hashlib
import hmac
import re

from .i18n import _lt

DEFAULT_API_URL = "https://graph.facebook.com"
# Meta keeps a version about two years; v27.0 is the latest (Nov 2026). Configurable.
DEFAULT_API_VERSION = "v27.0"

RETRY, PERMANENT, ACCOUNT = "retry", "permanent", "account"
# Meta's throughput for the whole number is spent on quality grounds: slow the account down.
THROTTLE = "throttle"
# Meta holds this customer's messages for at least a day.
LATER = "later"
# The template is paused (held until approved again) or disabled (never sent again).
TEMPLATE_PAUSED, TEMPLATE_DISABLED = "template_paused", "template_disabled"
MAX_ATTEMPTS = 6

# Meta's error table (see shared/META_CLOUD_API.md): transient errors are retried with
# backoff, also when they come in a ``failed`` status webhook.
RETRY_CODES = frozenset({130429, 131056, 131000, 131016, 131057, 2, 2494100, 133004, 80007,
                         4})
# Token, permission and number problems: the account stops, its queue waits for a manager.
ACCOUNT_CODES = frozenset({0, 190, 3, 10, 131005, 33, 131037, 131045, 368, 131031, 131042,
                           133010, *range(200, 300)})
OTHER_KINDS = {131048: THROTTLE, 131049: LATER, 132015: TEMPLATE_PAUSED,
               132016: TEMPLATE_DISABLED}
# Retryable inside a ``failed`` status: Meta could not deliver it this time.
STATUS_RETRY_CODES = frozenset({131000, 131016, 131057})
# Meta errors after which the customer must be reached on another channel. 133010 is not
# one: it is our own number that is not registered, not the customer's problem.
FALLBACK_CODES = frozenset({131026, 131047, 131050})

ERROR_REASONS = {
    130429: _lt("Meta's sending rate was reached; the message will be retried."),
    131056: _lt("Too many messages to this customer in a short time; retried later."),
    131000: _lt("Meta had an unknown error; the message will be retried."),
    131016: _lt("WhatsApp is temporarily unavailable; the message will be retried."),
    131057: _lt("The WhatsApp account is in maintenance; the message will be retried."),
    80007: _lt("The WhatsApp Business Account hit Meta's rate limit; retried later."),
    4: _lt("The app hit Meta's call limit; retried later."),
    131026: _lt("The customer's number cannot receive WhatsApp messages (not on WhatsApp "
                "or an old app). Another channel is needed."),
    131047: _lt("More than 24 hours passed since the customer's last message: only an "
                "approved template can be sent."),
    131048: _lt("Meta limited sending because of the account's quality (spam rate limit): "
                "the account sends again more slowly after a pause."),
    131049: _lt("Meta did not deliver the message to keep the customer's experience healthy; "
                "it is tried again after at least 24 hours."),
    131050: _lt("The customer stopped messages from businesses."),
    131051: _lt("This message type is not supported."),
    132000: _lt("The number of template variables does not match the approved template."),
    132001: _lt("The template does not exist in this language or is not approved; "
                "synchronise the templates."),
    132005: _lt("Translated text is too long: a template variable is longer than Meta "
                "allows."),
    132007: _lt("Template content violates a WhatsApp policy."),
    132012: _lt("A template variable has the wrong format."),
    132015: _lt("Meta paused the template for low quality: its messages wait until it is "
                "approved again."),
    132016: _lt("Meta disabled the template for low quality."),
    133010: _lt("Our WhatsApp number is not registered on the Cloud API: register it "
                "(POST /{phone_number_id}/register) and resume the account."),
    2494100: _lt("Meta asks to try again in a few minutes; the message will be retried."),
    133004: _lt("Meta's server is temporarily unavailable; the message will be retried."),
    2: _lt("Meta's service is temporarily unavailable; the message will be retried."),
    0: _lt("Meta could not authenticate the access token: enter a valid token on the "
           "WhatsApp account."),
    3: _lt("The Meta app lacks a capability this call needs: check the app's permissions."),
    10: _lt("The access token lacks a permission (whatsapp_business_messaging or "
            "whatsapp_business_management): give it to the system user and enter the new "
            "token."),
    131005: _lt("Meta denied access: the token lacks a permission for this WhatsApp "
                "account."),
    33: _lt("The WhatsApp business phone number was deleted."),
    131037: _lt("The WhatsApp number's display name is not approved yet."),
    131045: _lt("The WhatsApp number has a registration problem (certificate): register it "
                "again."),
    100: _lt("Meta refused a parameter of the request."),
    190: _lt("Meta's access token expired or is invalid: enter a new token on the WhatsApp "
             "account."),
    368: _lt("Meta blocked the WhatsApp account for policy violations."),
    131031: _lt("The WhatsApp Business Account is locked."),
    131042: _lt("The WhatsApp Business Account has a payment problem."),
}
GENERIC_REASON = _lt("Meta refused the message.")
PERMISSION_REASON = _lt("The access token or the Meta app lacks a permission for this call: "
                        "check the system user's permissions and enter a new token.")
TRANSPORT_REASON = _lt("Meta could not be reached (network error or timeout); the message "
                       "will be retried.")

TEXT_LIMITS = {"header": 60, "body": 1024, "footer": 60, "button": 25, "param": 1024,
               "text": 4096}
TEMPLATE_NAME_RE = re.compile(r"^[a-z0-9_]+$")


def classify_error(code, http_status):
    if code in OTHER_KINDS:
        return OTHER_KINDS[code]
    if code in ACCOUNT_CODES:
        return ACCOUNT
    if code in RETRY_CODES:
        return RETRY
    if code is None and (http_status is None or http_status == 429 or http_status >= 500):
        return RETRY
    if http_status is not None and http_status >= 500 and code not in ERROR_REASONS:
        return RETRY
    return PERMANENT


def error_reason(code):
    if code is None:
        return TRANSPORT_REASON
    if code not in ERROR_REASONS and isinstance(code, int) and 200 <= code < 300:
        return PERMISSION_REASON
    return ERROR_REASONS.get(code, GENERIC_REASON)


def backoff_seconds(attempt, base=30, cap=3600):
    return int(min(cap, base * 2 ** max(attempt - 1, 0)))


class MetaError(Exception):
    # Meta answered: whatever it refused, it did not take. See MetaTransportError.
    maybe_sent = False

    def __init__(self, message="", *, code=None, title=None, details=None, http_status=None,
                 fbtrace_id=None):
        super().__init__(message or error_reason(code))
        self.code = code
        self.title = title
        self.message = message
        self.details = details
        self.http_status = http_status
        self.fbtrace_id = fbtrace_id
        self.kind = classify_error(code, http_status)

    def __str__(self):
        return error_reason(self.code) if self.code in ERROR_REASONS or self.code is None \
            else (self.message or GENERIC_REASON)[:300]


class MetaTransportError(MetaError):
    """Meta could not be reached, or its answer could not be read.

    ``maybe_sent`` tells the two apart. False: the request certainly never reached Meta (no
    connection was made: refused, DNS, connect timeout), so sending it again is safe. True:
    it may have (a read timeout or a connection reset after the request was written, a 2xx
    answer without a message id or that is not JSON): Meta may have taken the message, and
    sending it again could reach the customer twice.
    """

    ANSWER_LOST = _lt("Meta's answer was lost or unreadable: Meta may have acted on the "
                      "request all the same.")

    def __init__(self, message="", *, http_status=None, maybe_sent=False, **kwargs):
        super().__init__(message, http_status=http_status, **kwargs)
        self.kind = RETRY
        self.maybe_sent = maybe_sent

    def __str__(self):
        return self.ANSWER_LOST if self.maybe_sent else super().__str__()


def parse_error(http_status, body):
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return MetaError(f"HTTP {http_status}", http_status=http_status)
    code = error.get("code")
    code = code if isinstance(code, int) else None
    data = error.get("error_data") if isinstance(error.get("error_data"), dict) else {}
    result = MetaError(str(error.get("message") or "")[:500], code=code,
                       title=error.get("error_user_title") or error.get("type"),
                       details=str(data.get("details") or "")[:500], http_status=http_status,
                       fbtrace_id=error.get("fbtrace_id"))
    # What Meta wrote for a person (template creation refusals explain themselves there).
    result.user_title = str(error.get("error_user_title") or "")[:255]
    result.user_message = str(error.get("error_user_msg") or "")[:1000]
    subcode = error.get("error_subcode")
    result.subcode = subcode if isinstance(subcode, int) else None
    return result


# Meta's own words for a person, when it gave some: "<title>: <message>", else our reason.
def user_explanation(error):
    title = getattr(error, "user_title", "") or ""
    message = getattr(error, "user_message", "") or ""
    if TEMPLATE_LIMIT_CODE in (error.code, getattr(error, "subcode", None)):
        return str(TEMPLATE_LIMIT_REASON) + (f" ({message})" if message else "")
    if title or message:
        return ": ".join(part for part in (title, message) if part)
    return str(error)


def parse_send_response(body):
    """The wamid and wa_id of Meta's answer to a send.

    A 2xx answer without a message id is no refusal: Meta may have taken the message, so it
    is a lost answer (``maybe_sent``), never a reason to send it again.
    """
    messages = body.get("messages") if isinstance(body, dict) else None
    if not isinstance(messages, list) or not messages or not isinstance(messages[0], dict) \
            or not messages[0].get("id"):
        raise MetaTransportError("Meta's answer has no message id", maybe_sent=True)
    contacts = body.get("contacts")
    contact = contacts[0] if isinstance(contacts, list) and contacts and \
        isinstance(contacts[0], dict) else {}
    return {"wamid": str(messages[0]["id"]), "wa_id": contact.get("wa_id"),
            "user_id": contact.get("user_id"),
            "message_status": messages[0].get("message_status")}


# At most 250 templates per WhatsApp Business Account (Meta's 2388019).
TEMPLATE_LIMIT_CODE = 2388019
TEMPLATE_LIMIT = 250
TEMPLATE_LIMIT_REASON = _lt(
    "The WhatsApp Business Account already has 250 templates, Meta's limit: delete the "
    "templates you no longer use in WhatsApp Manager, then submit again.")
# A utility template's time to live: Meta allows 30 seconds to 12 hours.
TTL_MIN, TTL_MAX = 30, 12 * 3600

# Meta's messaging limit of the business portfolio: unique customers reached outside the
# service window per rolling 24 hours. 0 means unlimited.
MESSAGING_TIERS = {"TIER_50": 50, "TIER_250": 250, "TIER_1K": 1000, "TIER_2K": 2000,
                   "TIER_10K": 10000, "TIER_100K": 100000, "TIER_UNLIMITED": 0}


def parse_messaging_limit(value):
    """Meta's limit (a tier name, or a number where -1 is unlimited) as customers per
    24 hours, 0 for unlimited; None when Meta did not say."""
    if isinstance(value, dict):  # some versions nest it
        value = value.get("max_daily_conversations_per_business") or value.get("tier")
    if isinstance(value, bool) or value in (None, ""):
        return None
    if isinstance(value, int):
        return 0 if value < 0 else value
    text = str(value).strip().upper()
    if text in MESSAGING_TIERS:
        return MESSAGING_TIERS[text]
    try:
        number = int(text)
    except ValueError:
        return None
    return 0 if number < 0 else number


SETUP_PROBLEMS = {
    "not_registered": _lt("The number is not registered on the Cloud API: register it with "
                          "its two-step verification PIN (button Register Number)."),
    "not_subscribed": _lt("No app is subscribed to the WhatsApp Business Account's webhooks: "
                          "statuses and replies will not arrive (button Subscribe App)."),
    "name_pending": _lt("Meta has not approved the number's display name yet: business "
                        "messages may be refused until it does."),
    "quality_red": _lt("The number's quality is low: Meta may limit or block sending. "
                       "Review the templates' quality and the customers' consent."),
    "small_limit": _lt("The business portfolio can reach %(limit)s customers a day outside "
                       "the service window: larger runs wait for the next day. Verify the "
                       "business in Meta Business Manager to raise it."),
}


def setup_problems(phone, subscribed_apps):
    """What is missing for the number to work, as (key, text) pairs, from Meta's answers to
    ``GET /{phone_number_id}`` and ``GET /{waba_id}/subscribed_apps``."""
    problems = []
    if str(phone.get("platform_type") or "").upper() not in ("", "CLOUD_API") or \
            str(phone.get("status") or "").upper() in ("PENDING", "DISCONNECTED", "UNVERIFIED",
                                                      "DELETED", "MIGRATED"):
        problems.append(("not_registered", str(SETUP_PROBLEMS["not_registered"])))
    if subscribed_apps is not None and not subscribed_apps:
        problems.append(("not_subscribed", str(SETUP_PROBLEMS["not_subscribed"])))
    if str(phone.get("name_status") or "").upper() in ("PENDING_REVIEW", "DECLINED", "EXPIRED"):
        problems.append(("name_pending", str(SETUP_PROBLEMS["name_pending"])))
    if str(phone.get("quality_rating") or "").upper() == "RED":
        problems.append(("quality_red", str(SETUP_PROBLEMS["quality_red"])))
    limit = parse_messaging_limit(phone.get("whatsapp_business_manager_messaging_limit"))
    if limit and limit <= 250:
        problems.append(("small_limit", str(SETUP_PROBLEMS["small_limit"]) % {"limit": limit}))
    return problems


def validate_template_name(name):
    if not name or len(name) > 512 or not TEMPLATE_NAME_RE.match(name):
        raise ValueError(_lt("A template name may only contain lowercase letters, digits and "
                             "underscores (at most 512)."))


def check_param(value, label):
    value = (value or "").strip()
    if not value:
        raise ValueError(_lt("A template value is empty: %(label)s") % {"label": label})
    if len(value) > TEXT_LIMITS["param"]:
        raise ValueError(_lt("A template value is longer than Meta allows: %(label)s")
                         % {"label": label})
    if "\n" in value or "\t" in value or "     " in value:
        raise ValueError(_lt("A template value has line breaks, tabs or many spaces, which "
                             "Meta refuses: %(label)s") % {"label": label})
    return value


CALLBACK_PREFIX = "cobranza:"


def callback_data(message_id):
    """What we give Meta with each message; its statuses echo it back."""
    return f"{CALLBACK_PREFIX}{message_id}"


def message_id_from_callback(value):
    """Our message id in a status's callback data, or None (ASCII digits only)."""
    value = value or ""
    if not value.startswith(CALLBACK_PREFIX):
        return None
    digits = value[len(CALLBACK_PREFIX):]
    if not digits or not digits.isascii() or not digits.isdecimal() or len(digits) > 9:
        return None
    return int(digits)


def build_template_payload(to, template_name, language, body_params, *, header_document=None,
                           url_button_suffix=None, url_button_index=0, quick_replies=(),
                           callback_data=None, named_params=None):
    components = []
    if header_document:
        components.append({"type": "header", "parameters": [
            {"type": "document", "document": dict(header_document)}]})
    if body_params:
        params = []
        for index, text in enumerate(body_params):
            param = {"type": "text", "text": text}
            if named_params:
                param["parameter_name"] = named_params[index]
            params.append(param)
        components.append({"type": "body", "parameters": params})
    if url_button_suffix is not None:
        components.append({"type": "button", "sub_type": "url", "index": str(url_button_index),
                           "parameters": [{"type": "text", "text": url_button_suffix}]})
    for index, payload in quick_replies:
        components.append({"type": "button", "sub_type": "quick_reply", "index": str(index),
                           "parameters": [{"type": "payload", "payload": payload}]})
    payload = {"messaging_product": "whatsapp", "recipient_type": "individual", "to": to,
               "type": "template",
               "template": {"name": template_name, "language": {"code": language},
                            "components": components}}
    if callback_data:
        payload["biz_opaque_callback_data"] = callback_data[:512]
    return payload


def build_text_payload(to, body, preview_url=False, reply_to=None):
    if not body or len(body) > TEXT_LIMITS["text"]:
        raise ValueError(_lt("A WhatsApp text must have 1 to 4,096 characters."))
    payload = {"messaging_product": "whatsapp", "recipient_type": "individual", "to": to,
               "type": "text", "text": {"body": body, "preview_url": preview_url}}
    if reply_to:
        # Shown to the customer as an answer to their message.
        payload["context"] = {"message_id": reply_to}
    return payload


# Message kinds Meta accepts only inside the 24-hour customer service window (131047 outside).
FREE_FORM_KINDS = ("text", "interactive", "document")

# Meta's limits of interactive messages (reply buttons and lists) and documents.
INTERACTIVE_LIMITS = {
    "button_body": 1024, "list_body": 4096, "header": 60, "footer": 60,
    "buttons": 3, "button_id": 256, "button_title": 20,
    "list_button": 20, "sections": 10, "rows": 10, "section_title": 24,
    "row_id": 200, "row_title": 24, "row_description": 72, "caption": 1024,
}


class PayloadError(ValueError):
    """A message Meta would refuse, said in words a collector reads: ``str()`` gives the
    English, :meth:`translated` the user's language."""

    def __init__(self, msgid, **params):
        super().__init__(msgid % params if params else msgid)
        self.msgid, self.params = msgid, params

    def translated(self, env):
        return env._(self.msgid, **{key: env._(value) if isinstance(value, str) else value
                                    for key, value in self.params.items()})


NO_DOCUMENT_REASON = _lt("The message names no invoice to send as a document.")


def shorten(text, limit):
    """`text` on at most `limit` characters, an ellipsis marking a cut."""
    text = " ".join(str(text or "").split())
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"


def _check_length(value, limit, what, required=True):
    value = value if isinstance(value, str) else ""
    if (required and not value.strip()) or len(value) > limit:
        raise PayloadError(_lt("%(what)s must have 1 to %(limit)s characters."),
                           what=what, limit=limit)


def _check_ids(ids, limit, what):
    if len(set(ids)) != len(ids):
        raise PayloadError(_lt("Every %(what)s of an interactive message needs its own ID."),
                           what=what)
    for value in ids:
        _check_length(value, limit, what)
        if value != value.strip():
            raise PayloadError(_lt("An interactive message ID cannot start or end with a space."))


def _framed(interactive, header, footer):
    """An interactive message with its optional text header and footer, checked."""
    if header:
        interactive["header"] = {"type": "text", "text": header}
    if footer:
        interactive["footer"] = {"text": footer}
    check_interactive(interactive)
    return interactive


def reply_buttons(body, buttons, *, header=None, footer=None):
    """Meta's ``interactive`` object of a reply-buttons message: `buttons` are (id, title)
    pairs, one to three; the customer's tap comes back as an inbound ``button_reply``
    carrying the id."""
    interactive = {"type": "button", "body": {"text": body}, "action": {"buttons": [
        {"type": "reply", "reply": {"id": button_id, "title": title}}
        for button_id, title in buttons]}}
    return _framed(interactive, header, footer)


def list_message(body, button, sections, *, header=None, footer=None):
    """Meta's ``interactive`` object of a list message: `sections` are (title, rows) with
    rows (id, title, description); up to ten rows in all. The customer's choice comes
    back as an inbound ``list_reply`` carrying the row's id."""
    interactive = {"type": "list", "body": {"text": body}, "action": {
        "button": button,
        "sections": [{"title": title, "rows": [
            {"id": row_id, "title": row_title, **({"description": text} if text else {})}
            for row_id, row_title, text in rows]} for title, rows in sections],
    }}
    if len(sections) == 1 and not sections[0][0]:
        del interactive["action"]["sections"][0]["title"]
    return _framed(interactive, header, footer)


def check_interactive(interactive):
    """Meta's rules for an interactive message, raised as ValueError before it leaves."""
    limits = INTERACTIVE_LIMITS
    kind = interactive.get("type")
    if kind not in ("button", "list"):
        raise PayloadError(_lt("Only reply-button and list messages are sent."))
    body = (interactive.get("body") or {}).get("text")
    _check_length(body, limits["button_body" if kind == "button" else "list_body"],
                  _lt("The message text"))
    header = interactive.get("header")
    if header:
        if header.get("type") != "text":
            raise PayloadError(_lt("Only a text header is sent with an interactive message."))
        _check_length(header.get("text"), limits["header"], _lt("The header"))
    if interactive.get("footer"):
        _check_length(interactive["footer"].get("text"), limits["footer"], _lt("The footer"))
    action = interactive.get("action") or {}
    if kind == "button":
        buttons = action.get("buttons") or []
        if not 1 <= len(buttons) <= limits["buttons"] or \
                any(b.get("type") != "reply" for b in buttons):
            raise PayloadError(_lt("A reply-buttons message has one to three reply buttons."))
        replies = [b.get("reply") or {} for b in buttons]
        _check_ids([r.get("id") for r in replies], limits["button_id"], _lt("button"))
        titles = [r.get("title") for r in replies]
        for title in titles:
            _check_length(title, limits["button_title"], _lt("A button's title"))
        if len(set(titles)) != len(titles):
            raise PayloadError(_lt("The buttons of a message need different titles."))
        return
    _check_length(action.get("button"), limits["list_button"], _lt("The list's button"))
    sections = action.get("sections") or []
    rows = [row for section in sections for row in section.get("rows") or []]
    if not 1 <= len(sections) <= limits["sections"] or not 1 <= len(rows) <= limits["rows"] \
            or any(not section.get("rows") for section in sections):
        raise PayloadError(_lt("A list message has one to ten rows, in one to ten sections."))
    for section in sections:
        _check_length(section.get("title"), limits["section_title"], _lt("A section's title"),
                      required=len(sections) > 1)
    _check_ids([row.get("id") for row in rows], limits["row_id"], _lt("row"))
    for row in rows:
        _check_length(row.get("title"), limits["row_title"], _lt("A row's title"))
        _check_length(row.get("description"), limits["row_description"],
                      _lt("A row's description"), required=False)


def build_interactive_payload(to, interactive, reply_to=None):
    check_interactive(interactive)
    payload = {"messaging_product": "whatsapp", "recipient_type": "individual", "to": to,
               "type": "interactive", "interactive": interactive}
    if reply_to:
        payload["context"] = {"message_id": reply_to}
    return payload


def check_caption(caption):
    """Meta's limit of a document's caption, raised as PayloadError."""
    _check_length(caption, INTERACTIVE_LIMITS["caption"], _lt("The caption"))


def build_document_payload(to, document, caption=None, reply_to=None):
    """A document message: ``document`` holds the uploaded media ``id`` (or a ``link``)
    and the ``filename`` the customer sees."""
    if not (document.get("id") or document.get("link")):
        raise PayloadError(_lt("A document message needs the uploaded file."))
    document = dict(document)
    if caption:
        check_caption(caption)
        document["caption"] = caption
    payload = {"messaging_product": "whatsapp", "recipient_type": "individual", "to": to,
               "type": "document", "document": document}
    if reply_to:
        payload["context"] = {"message_id": reply_to}
    return payload


def build_template_create_payload(name, language, category, body_text, *, header_document,
                                  footer, buttons, body_examples, header_handle=None,
                                  ttl_seconds=None):
    """Meta's template creation body. A document header needs the handle of a sample file
    (Resumable Upload API), every body variable an example value."""
    validate_template_name(name)
    components = []
    if header_document:
        if not header_handle:
            raise ValueError(_lt("A document header needs a sample file uploaded to Meta "
                                 "first (header_handle)."))
        components.append({"type": "HEADER", "format": "DOCUMENT",
                           "example": {"header_handle": [header_handle]}})
    body = {"type": "BODY", "text": body_text}
    if body_examples:
        body["example"] = {"body_text": [list(body_examples)]}
    components.append(body)
    if footer:
        components.append({"type": "FOOTER", "text": footer})
    if buttons:
        components.append({"type": "BUTTONS", "buttons": list(buttons)})
    payload = {"name": name, "language": language, "category": category,
               "parameter_format": "POSITIONAL", "components": components}
    if ttl_seconds:
        payload["message_send_ttl_seconds"] = max(TTL_MIN, min(int(ttl_seconds), TTL_MAX))
    return payload


def compute_signature(secret, raw_body):
    key = secret.encode() if isinstance(secret, str) else secret
    return "sha256=" + hmac.new(key, raw_body, hashlib.sha256).hexdigest()


def verify_signature(secret, raw_body, header):
    # Headers arrive decoded as latin-1, and compare_digest raises on non-ASCII text.
    if not secret or not header or not isinstance(header, str) or not header.isascii():
        return False
    if not header.startswith("sha256="):
        return False
    return hmac.compare_digest(compute_signature(secret, raw_body), header.strip())


class EnvelopeError(ValueError):
    pass


def _list(value):
    return value if isinstance(value, list) else []


# Unix times a status can carry (up to the year 9999); others are read as "not given".
MAX_TIMESTAMP = 253402300799
INT32 = 2**31 - 1


def _str(value, limit=4096):
    """Text as PostgreSQL can store it: no NUL, no lone surrogate (JSON allows both)."""
    if value is None:
        return None
    text = str(value)[:limit].replace("\x00", "")
    return text.encode("utf-8", "replace").decode("utf-8")


def _int(value, low=-INT32, high=INT32):
    """An integer within [low, high] (an INTEGER column), else 0."""
    try:
        number = int(value)
    except (TypeError, ValueError, OverflowError):
        return 0
    return number if low <= number <= high else 0


def _timestamp(value):
    return _int(value, 0, MAX_TIMESTAMP)


def parse_webhook(payload):
    """Meta's envelope as a flat list of events, each naming the number (``phone_number_id``)
    or, for template fields, the WhatsApp Business Account (``waba_id``) it is for: one app's
    webhook serves every number subscribed to it, so the events are routed by these."""
    if not isinstance(payload, dict) or payload.get("object") != "whatsapp_business_account":
        raise EnvelopeError("not a WhatsApp Business Account webhook")
    if not isinstance(payload.get("entry"), list):
        raise EnvelopeError("the webhook has no entry list")
    events = []
    for entry in payload["entry"]:
        if not isinstance(entry, dict):
            continue
        waba_id = _str(entry.get("id"), 64)
        for change in _list(entry.get("changes")):
            if not isinstance(change, dict) or not isinstance(change.get("value"), dict):
                continue
            field, value = change.get("field"), change["value"]
            if field == "messages":
                events.extend(_parse_messages_value(waba_id, value))
            elif field in ("message_template_status_update", "message_template_quality_update",
                           "template_category_update"):
                event = _parse_template_value(field, value, entry.get("time"), waba_id)
                if event:
                    events.append(event)
    return events


def _dict(value):
    return value if isinstance(value, dict) else {}


def _billable(pricing):
    """Whether Meta charges for the message. ``billable`` is being deprecated: without it,
    the pricing type says (``regular`` is charged, ``free_customer_service`` and
    ``free_entry_point`` are not)."""
    if "billable" in pricing:
        return bool(pricing["billable"])
    kind = pricing.get("type")
    return bool(kind) and not str(kind).startswith("free")


def _parse_status(waba_id, phone_number_id, status):
    pricing = _dict(status.get("pricing"))
    conversation = _dict(status.get("conversation"))
    errors = [{"code": _int(e.get("code")), "title": _str(e.get("title"), 255),
               "message": _str(e.get("message"), 1000),
               "details": _str(_dict(e.get("error_data")).get("details"), 1000)}
              for e in _list(status.get("errors")) if isinstance(e, dict)]
    wamid = _str(status["id"], 255)
    state = _str(status["status"], 32)
    key = f"status:{wamid}:{state}"
    if state == "failed" and errors:
        key += f":{errors[0]['code']}"
    return {
        "kind": "status", "key": key, "waba_id": waba_id, "phone_number_id": phone_number_id,
        "wamid": wamid, "status": state, "timestamp": _timestamp(status.get("timestamp")),
        "recipient_id": _str(status.get("recipient_id"), 64),
        "callback_data": _str(status.get("biz_opaque_callback_data"), 512),
        # Meta puts the pricing on one status (sent, or delivered/read), not on all of them.
        "pricing_category": _str(pricing.get("category"), 64),
        "pricing_type": _str(pricing.get("type"), 64),
        "billable": _billable(pricing) if pricing else False,
        "conversation_id": _str(conversation.get("id"), 255),
        "errors": errors,
    }


def _message_content(kind, body):
    """(text, payload, media) of an inbound message of type `kind`."""
    text = payload = media = None
    if kind == "text":
        text = body.get("body")
    elif kind == "button":
        text, payload = body.get("text"), body.get("payload")
    elif kind == "interactive":
        reply = body.get("button_reply") or body.get("list_reply") or {}
        if isinstance(reply, dict):
            text, payload = reply.get("title"), reply.get("id")
    elif kind in ("document", "image", "audio", "video", "sticker"):
        text = body.get("caption")
        media = {"id": _str(body.get("id"), 255), "mime_type": _str(body.get("mime_type"), 128),
                 "sha256": _str(body.get("sha256"), 128),
                 "filename": _str(body.get("filename"), 255)}
    return text, payload, media


def _parse_message(waba_id, phone_number_id, message, names):
    kind = _str(message.get("type"), 32)
    body = _dict(message.get(kind)) if kind else {}
    context = _dict(message.get("context"))
    sender = _str(message.get("from"), 64)
    event = {
        "kind": "message", "key": f"message:{_str(message['id'], 255)}", "waba_id": waba_id,
        "phone_number_id": phone_number_id, "message_id": _str(message["id"], 255),
        "from": sender, "timestamp": _timestamp(message.get("timestamp")), "type": kind,
        "profile_name": names.get(sender),
        # Said in a group, not to us alone (Meta's groups: ``group_id`` on the message).
        "group_id": _str(message.get("group_id") or context.get("group_id"), 255),
    }
    if kind == "system":
        # A customer changed number (``wa_id`` is the new one; older versions say
        # ``new_wa_id``) or user id: no contacts array, and no reply to read.
        event.update(kind="system", system_type=_str(body.get("type"), 64),
                     text=_str(body.get("body"), 1024),
                     new_wa_id=_str(body.get("wa_id") or body.get("new_wa_id"), 64),
                     user_id=_str(body.get("user_id") or body.get("user"), 255))
        return event
    if kind == "reaction":
        # An emoji on one of our messages (none: the reaction was removed); not a reply.
        event.update(kind="reaction", reacted_to=_str(body.get("message_id"), 255),
                     emoji=_str(body.get("emoji"), 32) or "")
        return event
    text, payload, media = _message_content(kind, body)
    event.update(text=_str(text), payload=_str(payload, 512),
                 context_id=_str(context.get("id"), 255), media=media)
    return event


def _parse_messages_value(waba_id, value):
    phone_number_id = _str(_dict(value.get("metadata")).get("phone_number_id"), 64)
    events = [_parse_status(waba_id, phone_number_id, status)
              for status in _list(value.get("statuses"))
              if isinstance(status, dict) and status.get("id") and status.get("status")]
    names = {}
    for contact in _list(value.get("contacts")):
        if isinstance(contact, dict):
            names[_str(contact.get("wa_id"), 64)] = _str(
                _dict(contact.get("profile")).get("name"), 255)
    events.extend(_parse_message(waba_id, phone_number_id, message, names)
                  for message in _list(value.get("messages"))
                  if isinstance(message, dict) and message.get("id"))
    return events


def _parse_template_value(field, value, entry_time, waba_id=None):
    """A template's update; it names no number, only its WhatsApp Business Account."""
    template_id = _str(value.get("message_template_id"), 64)
    if not template_id and not value.get("message_template_name"):
        return None
    kind = {"message_template_status_update": "template_status",
            "message_template_quality_update": "template_quality",
            "template_category_update": "template_category"}[field]
    marker = value.get("event") or value.get("new_quality_score") or value.get("new_category")
    if value.get("correct_category"):
        marker = f"notice-{value.get('correct_category')}"
    rejection = value.get("rejection_info") if isinstance(value.get("rejection_info"), dict) \
        else {}
    return {
        "kind": kind, "key": f"{kind}:{template_id}:{_str(marker, 64)}:{_timestamp(entry_time)}",
        "waba_id": waba_id, "template_id": template_id,
        "template_name": _str(value.get("message_template_name"), 512),
        "language": _str(value.get("message_template_language"), 16),
        "event": _str(value.get("event"), 64), "reason": _str(value.get("reason"), 512),
        "new_quality_score": _str(value.get("new_quality_score"), 16),
        "previous_quality_score": _str(value.get("previous_quality_score"), 16),
        "new_category": _str(value.get("new_category"), 32),
        "previous_category": _str(value.get("previous_category"), 32),
        # An advance notice of a category change carries the future one and its date.
        "correct_category": _str(value.get("correct_category"), 32),
        "category_update_timestamp": _timestamp(value.get("category_update_timestamp")),
        "category": _str(value.get("message_template_category"), 32),
        "rejection_reason": _str(rejection.get("reason"), 512),
        "rejection_recommendation": _str(rejection.get("recommendation"), 1024),
    }
