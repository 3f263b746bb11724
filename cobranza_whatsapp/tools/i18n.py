"""Marker for user-visible English strings in the pure modules.

The pure modules must not import Odoo, yet their messages reach users. Wrapping a
literal in ``_lt`` lets Odoo's translation extractor collect it into the .pot; the
ORM side shows it with ``self.env._(message)``, which looks it up in this module's
translations.
"""


def _lt(message):
    return message
