from odoo.tools import SQL

from . import controllers
from . import models
from . import report
from . import wizards


def uninstall_hook(env):
    """The steps go first: they keep their level (ondelete restrict, the history must not
    lose it), which would stop Odoo from removing the shipped levels."""
    env.cr.execute(SQL("DELETE FROM cobranza_step"))
    # A pay link's tracker opens its invoice without a login: once the addon (and its
    # record rules) is gone, no employee should find it in the link tracker.
    env.cr.execute(SQL("DELETE FROM link_tracker WHERE cobranza_move_id IS NOT NULL"))
