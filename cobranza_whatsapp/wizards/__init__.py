from . import cobranza_message_compose
