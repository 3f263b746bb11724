from . import cobranza_message_report
from . import cobranza_collection_report
from . import cobranza_aging_report
from . import cobranza_message_report_click
