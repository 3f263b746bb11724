"""When a file a customer sends is a proof of payment, and how long reminders wait for it.

A photo of a transfer receipt, a Yape screenshot or a bank's PDF sent soon after a reminder is
the customer saying "I paid" with the evidence: it is read as the ``paid`` intent (the same
company setting, the same KPIs), and the file goes to an accountant to verify. The caption
decides against it only when it clearly says something else: a dispute, a question, a plan,
a dated promise, or two readings a person must choose between.
"""

import dataclasses
import datetime

# A file this long after our last reminder is still an answer to it.
AFTER_REMINDER_DAYS = 30
# Reminders wait this many days from today while a proof waits for its verification; the
# daily cron moves the date on, so a missed run never lets a reminder through.
HOLD_DAYS = 2
# A file sent after a reminder, with nothing against it in its caption.
CONFIDENCE = 0.9

# Meta's message types that carry a file a customer sends on purpose (a sticker, an audio or
# a video is not a receipt), and the files a receipt comes as.
FILE_MESSAGE_TYPES = ("image", "document")
PDF = "application/pdf"

# The caption's readings that leave the file a proof: "ya pagué", "listo, gracias", nothing
# at all, or an undated "le mando el yape" (the sending is the file itself).
CAPTION_INTENTS = ("paid", "thanks", "unknown", "promise")


def is_proof_file(mimetype):
    """An image or a PDF (sent as an image or a document message: FILE_MESSAGE_TYPES)."""
    mimetype = (mimetype or "").split(";")[0].strip().lower()
    return mimetype.startswith("image/") or mimetype == PDF


def proof_reading(result, filename):
    """The reading of a file sent with a caption read as `result` (``tools.intent``), or None
    when the caption says something else. The evidence names the file; the amount and a
    frustration (a person also follows up) are the caption's."""
    if result.intent not in CAPTION_INTENTS:
        return None
    extras = tuple(e for e in result.evidence
                   if str(e).startswith(("ambiguous:", "frustration:")))
    words = tuple(e for e in result.evidence if e not in extras)
    if any(str(e).startswith("ambiguous:") for e in extras):
        return None
    if result.intent == "unknown" and words:
        return None  # a question ("¿a qué cuenta deposito?"): a person answers it
    if result.intent == "promise" and result.promise_date:
        return None  # "le pago el viernes": a promise, whatever the picture
    paid = result.intent == "paid"
    return dataclasses.replace(
        result, intent="paid", promise_date=None,
        confidence=max(result.confidence, CONFIDENCE) if paid else CONFIDENCE,
        evidence=(*(words if paid else ()), f"file:{filename}", *extras),
        needs_person=result.frustration)


def hold_until(today, current=None):
    """The pause of an invoice while its proof is verified: a later pause stays."""
    hold = today + datetime.timedelta(days=HOLD_DAYS)
    return max(hold, current) if current else hold


def reminded_since(now):
    """The oldest reminder a file can still answer."""
    return now - datetime.timedelta(days=AFTER_REMINDER_DAYS)
