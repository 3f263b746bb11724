from odoo.http import request


def read_body(limit):
    """The raw request body, or None when it is larger than `limit` bytes.

    Cached by werkzeug: Odoo replays a request after a concurrency error and the signature
    must be checked on the same bytes again.
    """
    httprequest = request.httprequest
    if (httprequest.content_length or 0) > limit:
        return None
    raw = httprequest.get_data()
    return raw if len(raw) <= limit else None
