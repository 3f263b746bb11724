from . import cobranza_message_compose
from . import cobranza_message_reply
