from . import cobranza_message_compose
from . import cobranza_message_reply
from . import cobranza_whatsapp_account_register
from . import cobranza_work_item_close
from . import account_payment_register
