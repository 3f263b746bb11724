from . import controllers
from . import models
from . import report
from . import wizards


def uninstall_hook(env):
    """The sender's two tables live outside the ORM (tools/poster.py): drop them too.

    The steps go first: they keep their level (ondelete restrict, the history must not
    lose it), which would stop Odoo from removing the shipped levels.
    """
    env.cr.execute("DROP TABLE IF EXISTS cobranza_message_post, cobranza_whatsapp_rate")
    env.cr.execute("DELETE FROM cobranza_step")
