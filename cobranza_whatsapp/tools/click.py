"""Pay links as link_tracker short URLs that say which message was clicked.

A pay link opens the invoice without a login (its portal access token), so its short code
must be as hard to guess as the token it stands for: link_tracker's own codes start at 3
characters, ours are 12 (about 71 bits). The message is named in the path, the way
mass_mailing names its trace (``/r/<code>/m/<trace>``): ``/r/<code>/c/<message>``.
"""

import re
import secrets
import string
import urllib.parse

CODE_ALPHABET = string.ascii_letters + string.digits
CODE_LENGTH = 12
# The route's letter for a collection message (mass_mailing uses "m" for its traces).
MESSAGE_SEGMENT = "c"

# A customer's plain pay link as Odoo writes it (``get_base_url() + get_portal_url()``):
# the invoice's portal page with its access token and nothing after it (a PDF download
# link carries ``&report_type=pdf`` and is not a pay link).
PAY_LINK_RE = re.compile(
    r"https?://[^\s/?#\"'<>]+/my/invoices/(?P<move_id>\d+)\?access_token=(?P<token>[0-9A-Za-z-]+)"
    r"(?![\w&%=-])"
)
_PATH_RE = re.compile(rf"^r/(?P<code>[0-9A-Za-z]+)/{MESSAGE_SEGMENT}/(?P<message_id>\d+)$")


def random_code(length=CODE_LENGTH):
    return "".join(secrets.choice(CODE_ALPHABET) for _i in range(length))


def tracked_path(code, message_id):
    """The path of a message's short URL, without its leading slash: what a WhatsApp URL
    button approved as ``https://<host>/{{1}}`` takes as its suffix."""
    if not code or not message_id:
        raise ValueError("A tracked path needs a code and a message.")
    return f"r/{code}/{MESSAGE_SEGMENT}/{int(message_id)}"


def parse_tracked_path(path):
    """(code, message id) of a tracked path, or None."""
    match = _PATH_RE.match((path or "").lstrip("/"))
    return (match["code"], int(match["message_id"])) if match else None


def find_pay_links(text):
    """The plain pay links in `text`: (url, invoice id, access token), each once, in order."""
    seen, links = set(), []
    for match in PAY_LINK_RE.finditer(text or ""):
        if match.group(0) not in seen:
            seen.add(match.group(0))
            links.append((match.group(0), int(match["move_id"]), match["token"]))
    return links


def replace_links(text, replacements):
    """`text` with each plain URL of `replacements` (url -> new url) replaced, and only
    whole URLs (not the start of a longer one)."""
    for url, new_url in replacements.items():
        text = re.sub(re.escape(url) + r"(?![\w&%=-])", lambda _m, new=new_url: new, text)
    return text


def button_fits_tracked_suffix(button_url, base_url):
    """Whether a WhatsApp URL button approved as `button_url` (``...{{1}}``; empty: this
    database's address followed by ``/{{1}}``) opens a tracked path given as its suffix:
    only when the variable comes right after the host (``https://host/{{1}}``). A button
    approved with a path before the variable keeps the plain pay path it always had."""
    url = button_url or f"{(base_url or '').rstrip('/')}/{{{{1}}}}"
    if not url.endswith("{{1}}"):
        return False
    parts = urllib.parse.urlsplit(url[: -len("{{1}}")])
    return bool(parts.scheme and parts.netloc) and parts.path == "/" \
        and not parts.query and not parts.fragment
