"""What a customer's reply to a payment reminder means: rule-based and explainable.

A collector has to trust the machine before letting it pause reminders or record a promise,
so every decision names the words that caused it, and anything unclear goes to a person.
A statistical model would read more replies but could not say why, and would need training
data this addon does not have.

Spanish comes first, as Peru, Mexico, Colombia, Chile, Argentina and Spain write it on
WhatsApp (no accents, abbreviations, repeated letters, emojis), then English. The text is
normalised once; each intent has weighted patterns over it; the margin between the best and
the second intent is the confidence. Words that mean one thing in one country and another
elsewhere follow the collection reading: in Peru "cancelar" a bill is to pay it.
"""

import calendar
import dataclasses
import datetime
import re
import unicodedata
from decimal import Decimal, InvalidOperation

# The one table of intents: what a reply can mean, with the words people read for it
# (translated as the labels of the message's `intent` field).
INTENT_LABELS = (
    ("paid", "Already paid"),
    ("promise", "Promise to pay"),
    ("plan", "Asks for a payment plan"),
    ("dispute", "Disputes the invoice"),
    ("person", "Asks for a person"),
    ("stop", "Asks to stop messages"),
    # Questions the automation answers itself inside the window (models/
    # cobranza_message_self_service.py): the balance, a copy of an invoice, how to pay.
    ("balance", "Asks for the balance"),
    ("invoice_copy", "Asks for an invoice copy"),
    ("how_to_pay", "Asks how to pay"),
    ("thanks", "Thanks / acknowledgement"),
    ("unknown", "Not understood"),
)
INTENTS = tuple(code for code, _label in INTENT_LABELS)
# The intents the automation can act on by itself (each has a setting: act, ask a person
# or do nothing; see res.company ``cobranza_intent_<intent>``).
ACTIONABLE_INTENTS = ("paid", "promise", "plan", "dispute", "person", "stop")
QUICK_REPLY_PAYLOADS = {"PAID": "paid", "PLAN": "plan", "PERSON": "person", "STOP": "stop",
                        "PROMISE": "promise", "DISPUTE": "dispute"}
# The questions answered by themselves, and the buttons and list rows of those answers
# ("INVOICE:<move id>" is a row of the list of invoices to choose from).
SELF_SERVICE_INTENTS = ("balance", "invoice_copy", "how_to_pay")
ACTIONABLE_INTENTS += SELF_SERVICE_INTENTS
QUICK_REPLY_PAYLOADS |= {"BALANCE": "balance", "INVOICE": "invoice_copy",
                         "HOW_TO_PAY": "how_to_pay"}
LOW_CONFIDENCE = 0.6

# Two intents this close are two readings of one reply: a person must choose.
AMBIGUITY_RATIO = 0.75
# A promise with no date would make the ORM invent one; a person agrees on it instead.
UNDATED_PROMISE_CONFIDENCE = 0.55


@dataclasses.dataclass(frozen=True)
class IntentResult:
    intent: str
    confidence: float
    evidence: tuple
    promise_date: datetime.date | None = None
    amount: Decimal | None = None
    needs_person: bool = False
    frustration: bool = False
    reference: str | None = None


# === NORMALISATION === #

_TOKEN = re.compile(r"\d+(?:[.,/-]\d+)+|[^\W_]+(?:['’][^\W_]+)?")

_ABBREVIATIONS = {
    # chat Spanish
    "q": "que", "k": "que", "ke": "que", "qe": "que", "xq": "porque", "pq": "porque",
    "porq": "porque", "xk": "porque", "pk": "porque", "porke": "porque", "x": "por",
    "d": "de", "t": "te", "m": "me", "pa": "para", "tb": "tambien", "tmb": "tambien",
    "tbn": "tambien", "tmbn": "tambien", "dnd": "donde", "toy": "estoy", "tas": "estas",
    "ta": "esta", "tamos": "estamos", "bn": "bien", "nd": "nada", "vdd": "verdad",
    "ps": "pues", "pz": "pues", "pue": "pues", "nose": "no se", "aki": "aqui", "aka": "aca",
    "aver": "a ver", "dsp": "despues", "dps": "despues", "desp": "despues", "sq": "es que",
    "ud": "usted", "uds": "ustedes", "cel": "celular", "msj": "mensaje", "msjs": "mensajes",
    "mjs": "mensajes", "fact": "factura", "cta": "cuenta", "nro": "numero", "num": "numero",
    "sr": "senor", "sra": "senora", "srta": "senorita", "hr": "horas", "hrs": "horas",
    "min": "minutos", "mins": "minutos", "weno": "bueno", "wueno": "bueno", "gueno": "bueno",
    "altiro": "al tiro", "alrato": "al rato", "alratito": "al rato",
    # "mañana" as typed in a hurry ("mñn", "mñna", "mñana"), after ñ -> n
    "mn": "manana", "mnn": "manana", "mna": "manana", "mnna": "manana", "mnana": "manana",
    "maniana": "manana", "manan": "manana", "manna": "manana",
    # please, thanks, ok
    "xfa": "por favor", "xfavor": "por favor", "porfa": "por favor", "porfis": "por favor",
    "plis": "por favor", "pls": "please", "plz": "please", "grax": "gracias", "grcs": "gracias",
    "grs": "gracias", "gcs": "gracias", "gras": "gracias", "grasias": "gracias",
    "gracia": "gracias", "grasia": "gracias", "okey": "ok", "okay": "ok", "oka": "ok",
    "okas": "ok", "oki": "ok", "okis": "ok", "oks": "ok", "okidoki": "ok", "thx": "thanks",
    "ty": "thanks", "u": "you",
    # payment words misspelt
    "depo": "deposito", "depocite": "deposite", "depocito": "deposito",
    "transf": "transferencia", "transfe": "transferencia", "tranferencia": "transferencia",
    "trasferencia": "transferencia", "tranferi": "transferi", "trasferi": "transferi",
    "tranfiero": "transfiero", "trasfiero": "transfiero", "yapie": "yapee",
    "plinie": "plinee", "cansele": "cancele", "canselo": "cancelo", "boucher": "voucher",
    "baucher": "voucher", "vaucher": "voucher", "bauche": "voucher", "voucer": "voucher",
    "vocher": "voucher", "comprovante": "comprobante",
    # English contractions, with and without the apostrophe
    "i'll": "i will", "ill": "i will", "we'll": "we will", "can't": "cannot", "cant": "cannot",
    "won't": "will not", "wont": "will not", "don't": "do not", "dont": "do not",
    "didn't": "did not", "didnt": "did not", "haven't": "have not", "havent": "have not",
    "i'm": "i am", "im": "i am", "it's": "it is", "here's": "here is", "i've": "i have",
    "ive": "i have", "we've": "we have",
}


def _fold(word):
    """One raw word as the rules expect it: how it sounds, not how it was typed."""
    word = unicodedata.normalize("NFKD", word.lower().replace("’", "'"))
    word = "".join(c for c in word if not unicodedata.combining(c))
    word = re.sub(r"([^\W\d_])\1{2,}", r"\1", word)  # siiii -> si
    word = re.sub(r"([aiu])\1", r"\1", word)  # graciaas -> gracias; rare doubles in both languages
    if word not in ("too", "zoo", "boo", "goo"):
        word = re.sub(r"oo$", "o", word)  # pagadoo -> pagado
    word = re.sub(r"([skhzpt])\1$", r"\1", word)  # okk -> ok, graciass -> gracias
    word = _ABBREVIATIONS.get(word, word)
    return word.replace("'", "")


def _normalize_map(text):
    """The normalised text and, per normalised word, where it came from in the raw text.

    The map lets the evidence quote the customer's own words ("mñn le deposito"), not
    the rule's spelling of them.
    """
    parts, spans, position = [], [], 0
    for match in _TOKEN.finditer(text or ""):
        for word in _fold(match.group()).split():
            if parts:
                position += 1
            spans.append((position, position + len(word), match.start(), match.end()))
            parts.append(word)
            position += len(word)
    return " ".join(parts), spans


def normalize(text):
    """Lowercase, accents off, letters un-repeated, chat abbreviations expanded.

    Punctuation goes, except inside numbers and dates ("1,250.50", "15/12", "15-12"), so
    that patterns match what customers mean whatever their keyboard produced.
    """
    return _normalize_map(text)[0]


# === DATES === #

_WEEKDAYS = {
    "lunes": 0, "martes": 1, "miercoles": 2, "jueves": 3, "viernes": 4, "sabado": 5,
    "domingo": 6, "monday": 0, "tuesday": 1, "wednesday": 2, "thursday": 3, "friday": 4,
    "saturday": 5, "sunday": 6,
}
_MONTHS = {
    "enero": 1, "febrero": 2, "marzo": 3, "abril": 4, "mayo": 5, "junio": 6, "julio": 7,
    "agosto": 8, "septiembre": 9, "setiembre": 9, "octubre": 10, "noviembre": 11,
    "diciembre": 12, "ene": 1, "feb": 2, "abr": 4, "jun": 6, "jul": 7, "ago": 8, "sep": 9,
    "sept": 9, "set": 9, "oct": 10, "nov": 11, "dic": 12, "january": 1, "february": 2,
    "march": 3, "april": 4, "june": 6, "july": 7, "august": 8, "september": 9, "october": 10,
    "november": 11, "december": 12, "jan": 1, "mar": 3, "apr": 4, "may": 5, "aug": 8,
    "dec": 12,
}
_NUMBER_WORDS = {
    "un": 1, "una": 1, "uno": 1, "dos": 2, "tres": 3, "cuatro": 4, "cinco": 5, "seis": 6,
    "siete": 7, "ocho": 8, "nueve": 9, "diez": 10, "quince": 15, "veinte": 20, "treinta": 30,
    "a": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "ten": 10, "un par de": 2, "par de": 2, "a couple of": 2, "couple of": 2,
}
_WEEKDAY_RE = "|".join(_WEEKDAYS)
_MONTH_RE = "|".join(sorted(_MONTHS, key=len, reverse=True))
_COUNT_RE = r"\d{1,2}|" + "|".join(sorted(_NUMBER_WORDS, key=len, reverse=True))
_ORDINAL = r"(?:ro|ero|er|o|do|to|vo|no|mo|th|st|nd|rd)?"
# Next month's payday: salaries and supplier runs land in the first days, so "next month"
# rarely means the 1st itself, and a promise due on the 1st would be judged broken early.
NEXT_MONTH_DAY = 5


def _add_months(day, months):
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return year, month


def _clamped(year, month, day):
    return datetime.date(year, month, min(day, calendar.monthrange(year, month)[1]))


def _next_weekday(today, weekday):
    return today + datetime.timedelta(days=(weekday - today.weekday()) % 7 or 7)


def _next_monday(today):
    return _next_weekday(today, 0)


def _month_end(today):
    return _clamped(today.year, today.month, 31)


def _day_of_month(today, day):
    """'El 15': this month while the day is still ahead, else next month.

    A day the month lacks ("el 31" in February) means the month's last day, unless that
    is today or past, when the customer means next month.
    """
    last = calendar.monthrange(today.year, today.month)[1]
    if today.day <= day <= last or (day > last > today.day):
        return _clamped(today.year, today.month, day)
    return _clamped(*_add_months(today, 1), day)


def _day_and_month(today, day, month, year=None):
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return None
    if year:
        return _clamped(year + 2000 if year < 100 else year, month, day)
    date = _clamped(today.year, month, day)
    return date if date >= today else _clamped(today.year + 1, month, day)


def _count(word):
    return int(word) if word.isdigit() else _NUMBER_WORDS.get(word)


def _explicit_date(t, today):
    """A calendar date written out: '15/12', '15-12-2026', '5 de diciembre', 'dec 15th'."""
    match = re.search(r"\b(\d{1,2})[/.-](\d{1,2})(?:[/.-](\d{2,4}))?\b", t)
    if match:
        day, month = int(match.group(1)), int(match.group(2))
        if month > 12 >= day:  # 12/15, the way English speakers write it
            day, month = month, day
        return _day_and_month(today, day, month, int(match.group(3) or 0))
    match = re.search(rf"\b(\d{{1,2}}){_ORDINAL} (?:de |of )?({_MONTH_RE})\b", t)
    if match:
        return _day_and_month(today, int(match.group(1)), _MONTHS[match.group(2)])
    match = re.search(rf"\b({_MONTH_RE}) (\d{{1,2}}){_ORDINAL}\b", t)
    if match and match.group(1) not in ("mar", "may", "set"):
        return _day_and_month(today, int(match.group(2)), _MONTHS[match.group(1)])
    match = re.search(rf"\bfin(?:es)? de ({_MONTH_RE})\b|\bend of ({_MONTH_RE})\b", t)
    if match:
        return _day_and_month(today, 31, _MONTHS[match.group(1) or match.group(2)])
    return None


def _relative_date(t, today):
    """Dates counted from today: 'en 3 días', 'el viernes de la próxima semana'."""
    match = re.search(rf"\b(?:en|dentro de|in|within) ({_COUNT_RE}) (dias?|days?|semanas?|"
                      r"weeks?)\b", t)
    if match and _count(match.group(1)):
        days = _count(match.group(1)) * (7 if match.group(2)[0] in "sw" else 1)
        return today + datetime.timedelta(days=days)
    match = re.search(rf"\b({_WEEKDAY_RE}) (?:de la )?(?:proxima|otra|siguiente) semana\b|"
                      rf"\b({_WEEKDAY_RE}) de la semana que viene\b|"
                      rf"\bnext week(?: on)? ({_WEEKDAY_RE})\b", t)
    if match:
        weekday = _WEEKDAYS[match.group(1) or match.group(2) or match.group(3)]
        return _next_monday(today) + datetime.timedelta(days=weekday)
    match = re.search(rf"\b({_WEEKDAY_RE})\b", t)
    if match:
        return _next_weekday(today, _WEEKDAYS[match.group(1)])
    return None


def _day_date(t, today):
    """'El 15', 'el día 30', 'para el 1ro', 'on the 15th', 'el primero'."""
    if re.search(r"\b(?:el|dia) primero\b|\bthe first\b", t):
        return _day_of_month(today, 1)
    match = re.search(r"\b(?:el|dia|del|on the|by the|the) (\d{1,2})" + _ORDINAL +
                      r"\b(?! (?:soles|pesos|dolares|euros|por ciento|dias|days|cuotas|veces))", t)
    if match and 1 <= int(match.group(1)) <= 31:
        return _day_of_month(today, int(match.group(1)))
    return None


def _period_date(t, today):
    """Periods with a customary day: month end, payday, next week, next month, weekend."""
    if re.search(r"\bfin(?:es)? de(?:l)? mes\b|\bend of (?:the )?month\b|\bmonth end\b", t):
        return _month_end(today)
    if re.search(r"\bquincena\b", t):  # paydays: the 15th and the month's last day
        return today.replace(day=15) if today.day <= 15 else _month_end(today)
    if re.search(r"\b(?:proxima|otra|siguiente) semana\b|\bsemana que viene\b|\bnext week\b",
                 t):
        return _next_monday(today)
    if re.search(r"\b(?:proximo|otro|siguiente) mes\b|\bmes que viene\b|\bnext month\b|"
                 r"\b(?:principio|principios|inicio|inicios|comienzo|comienzos) de(?:l)? mes\b|"
                 r"\bprimeros dias del mes\b", t):
        return _clamped(*_add_months(today, 1), NEXT_MONTH_DAY)
    if re.search(r"\besta semana\b|\bthis week\b|\bend of (?:the|this) week\b", t):
        return max(today, today + datetime.timedelta(days=4 - today.weekday()))
    if re.search(r"\bfin de semana\b|\bfinde\b|\bweekend\b", t):
        return today if today.weekday() >= 5 else _next_weekday(today, 5)
    return None


def parse_promise_date(text, today):
    """The day a customer commits to, from the most specific words first.

    'Hoy' comes last because it often frames a refusal ("hoy no puedo, el viernes sí").
    Weekdays mean the next occurrence strictly after today: on a Friday, "el viernes" is
    a week ahead, since the customer would have said "hoy".
    """
    t = normalize(text)
    # "en la mañana" is the morning, not tomorrow; "mañana en la mañana" stays tomorrow.
    t = re.sub(r"\b(?:en|por|de|a|esta) la manana\b|\besta manana\b|\bthis morning\b", " ", t)
    if re.search(r"\bpasado manana\b|\bday after tomorrow\b", t):
        return today + datetime.timedelta(days=2)
    for parser in (_explicit_date, _relative_date, _day_date, _period_date):
        date = parser(t, today)
        if date:
            return date
    if re.search(r"\b(?:manana|tomorrow)\b", t):
        return today + datetime.timedelta(days=1)
    if re.search(r"\b(?:hoy|today|tonight|ahorita|ahora|al toque|al tiro|al rato|en un rato|"
                 r"mas tarde|esta tarde|esta noche|en la tarde|en la noche|ya mismo|"
                 r"enseguida|later today)\b", t):
        return today
    return None


# === AMOUNTS === #

_NUMBER = r"(\d{1,3}(?:[.,]\d{3})+(?:[.,]\d{1,2})?|\d+(?:[.,]\d{1,2})?)"
_CURRENCY_BEFORE = r"(?:s/\.?|us\$|u\$s|\$|€|£|usd|pen|mxn|cop|clp|ars|eur)"
_CURRENCY_AFTER = (r"(?:soles|sol|pesos|peso|dolares|dolar|dollars|usd|euros|euro|€|"
                   r"mxn|pen|cop|clp|ars|eur)")
_PAY_WORD = (r"(?:pague|pago|pagar|deposite|deposito|depositar|abone|abono|abonar|transferi|"
             r"transfiero|transferir|yapee|yapeo|cancele|cancelo|cancelar|mande|mando|envie|"
             r"envio|los|paid|pay|sent|send)")
_NOT_AN_AMOUNT = (r"(?!\d|\s*[/%-]|\s*(?:dias?|days?|semanas?|weeks?|mes(?:es)?|months?|"
                  r"cuotas?|partes?|veces|horas?|hrs?|minutos?|min|am|pm|de (?:" + _MONTH_RE
                  + r"))\b)")


def _decimal(raw):
    """'1,250.50', '1.250,50', '$1.250', '12,50': the last separator followed by one or
    two digits is the decimal one; any other separator groups thousands."""
    match = re.fullmatch(r"(.*?)(?:[.,](\d{1,2}))?", raw)
    whole, cents = match.group(1), match.group(2)
    whole = re.sub(r"[.,]", "", whole)
    try:
        return Decimal(f"{whole}.{cents}" if cents else whole)
    except InvalidOperation:
        return None


def parse_amount(text):
    """An amount the customer names, with a currency or right after a payment verb."""
    t = "".join(c for c in unicodedata.normalize("NFKD", (text or "").lower())
                if not unicodedata.combining(c))
    for pattern in (rf"{_CURRENCY_BEFORE}\s*{_NUMBER}(?![\d.,]*\d)",
                    rf"(?<![\d.,]){_NUMBER}\s*{_CURRENCY_AFTER}(?![a-z])",
                    rf"\b{_PAY_WORD}\s+{_NUMBER}{_NOT_AN_AMOUNT}"):
        match = re.search(pattern, t)
        if match:
            value = _decimal(match.group(1))
            if value and re.match(r"\s*mil\b", t[match.end(1):]):
                value *= 1000  # "2 mil", "5 mil pesos"
            if value and value > 0:
                return value
    return None


# === RULES === #

_CL = r"(?:(?:le|les|lo|la|los|las|te|se|me|nos) )?"  # clitic: "le pagué", "te lo deposito"
_PAST_1ST = (r"(?:pague|pagamos|deposite|depositamos|transferi|transferimos|abone|abonamos|"
             r"cancele|cancelamos|yapee|yapeamos|plinee|consigne|consignamos|salde|saldamos|"
             r"liquide|liquidamos)")
# "cancelé el servicio" ends a contract; "cancelé la factura" pays it (Peru).
_ENDED = r"(?:el|mi|la|su) (?:servicio|contrato|suscripcion|linea|membresia|afiliacion)"
_PAST_3RD = r"(?:pago|deposito|transfirio|abono|cancelo|yapeo|consigno|saldo|liquido)"
_FUTURE = (r"(?:pago|pagare|pagamos|pagaremos|deposito|depositare|depositamos|transfiero|"
           r"transferire|cancelo|cancelare|cancelamos|abono|abonare|yapeo|yapeare|plineo|"
           r"consigno|consignare|liquido|saldo|cubro)")
# "pago realizado", "depósito ya hecho": the noun, not "I pay"
_DONE = r"(?:realizad|hech|efectuad|enviad|exitos|completad|confirmad|ya (?:se|esta|fue))"
_NOUN_BEFORE = r"(?<!\bel )(?<!\bun )(?<!del )(?<!\bal )(?<!\bsu )(?<!\bmi )(?<!\bde )"
_MONEY = r"(?:pago|deposito|transferencia|yape|plin|consignacion|abono|plata|dinero|lana|" \
         r"billete|varo|feria|guita|pasta|giro)"
_RECEIPT = (r"(?:voucher|comprobante|constancia|captura|pantallazo|screenshot|ticket|"
            r"(?:numero|codigo) de (?:operacion|transaccion|referencia)|recibo de pago|"
            r"foto del (?:pago|deposito|yape|plin)|receipt|proof of payment)")
_DATE = (r"(?:(?:el |dia )?\d{1,2} de (?:" + _MONTH_RE + r")|pasado manana|"
         r"(?<!la )(?<!esta )manana|hoy|hoy mismo|ahorita|al toque|al tiro|"
         r"al rato|en un rato|mas tarde|esta tarde|esta noche|en la tarde|en la noche|"
         r"ya mismo|enseguida|(?:el |este |proximo |el proximo )?(?:" + _WEEKDAY_RE + r")|"
         r"(?:el|dia|del|para el|hasta el|antes del) (?:\d{1,2}" + _ORDINAL + r"|primero)\b"
         r"(?! (?:soles|pesos|dolares|euros|dias|cuotas|veces))|\d{1,2}[/-]\d{1,2}|"
         r"fin(?:es)? de(?:l)? mes|quincena|"
         r"(?:proxima|otra|siguiente|esta) semana|semana que viene|fin de semana|finde|"
         r"(?:proximo|otro|siguiente) mes|mes que viene|(?:principio|principios|inicio|"
         r"comienzos?) de(?:l)? mes|(?:en|dentro de) (?:" + _COUNT_RE + r") (?:dias?|semanas?)|"
         r"tomorrow|today|tonight|next (?:week|month|" + _WEEKDAY_RE + r")|"
         r"(?:on |this )?(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)|"
         r"end of (?:the |this )?(?:month|week)|in (?:" + _COUNT_RE + r") (?:days?|weeks?)|"
         r"by the \d{1,2})")
_SUBJUNCTIVE_BEFORE = r"\b(?:que|cuando|apenas|si|para|cuanto|hasta)(?: le| les| lo| te)? $"
_REQUEST_BEFORE = (r"\b(?:me|nos) (?:pueden |puede |podrian |podria |podes |puedes )?"
                   r"(?:pasan|pasa|pasas|mandan|manda|mandas|mandar|envian|envia|envias|enviar|"
                   r"reenvian|dan|da|das|dar|facilitan|facilita)(?: \w+){0,2} $")

# --- The questions answered by themselves (balance, invoice copy, how to pay) ---
# Asking for something: "me pasa(s)", "me puede mandar", "mándeme", "envíenme", "reenvíe",
# "necesito", "me regala" (Colombia), then at most one filler word before the thing asked.
_ASK = (r"(?:(?:me|nos) (?:pueden |puede |podrian |podria |podes |puedes |podrias )?"
        r"(?:pasan|pasa|pasas|pasar|mandan|manda|mandas|mandar|envian|envia|envias|enviar|"
        r"reenvian|reenvia|reenvias|reenviar|comparten|comparte|compartes|compartir|dan|da|"
        r"das|dar|facilitan|facilita|facilitas|facilitar|regalan|regala|regalas|regalar|"
        r"adjuntan|adjunta|adjuntar)|"
        r"(?:re)?(?:mand|envi|pas|compart|facilit|regal|adjunt)(?:ame|eme|enme|anme|anos|enos)|"
        r"reenvie|reenvien|necesito|necesitamos|quiero|queremos|quisiera|quisieramos|"
        r"requiero|requerimos|solicito|pido|me falta|nos falta)"
        r"(?: (?:de nuevo|otra vez|nuevamente|por favor|please|tambien|urgente|ahora|ahorita))?")
_DET = r"(?:la|el|los|las|una|un|mi|mis|su|sus|tu|tus|esa|esta|esas|estas|nuestra|nuestras)"
# "cancelé mi deuda", "pagar mi saldo": the debt is paid or to be paid, not asked about.
_SETTLED_BEFORE = (r"\b(?:pague|pagamos|pago|pagar|pagare|pagarle|cancele|cancelamos|cancelo|"
                   r"cancelar|cancelarle|liquide|liquidar|salde|saldar|deposite|abone|abonar|"
                   r"cubri|cubrir|cubro|transferi)(?: (?:toda|todo|con|de))? $")


@dataclasses.dataclass(frozen=True)
class _Rule:
    intent: str
    weight: float
    pattern: re.Pattern
    # 'verb' commits to a promise, 'date'/'support' only qualify one, 'weak' yields to it
    kind: str = "text"
    negatable: bool = False
    unless_before: re.Pattern | None = None


def _rule(intent, weight, pattern, kind="text", negatable=False, unless_before=None):
    return _Rule(intent, weight, re.compile(pattern), kind, negatable,
                 re.compile(unless_before) if unless_before else None)


RULES = (
    # --- paid: a payment in the past, or its proof ---
    _rule("paid", 3.0, rf"\bya (?:se )?{_CL}(?:{_PAST_1ST}|page)\b(?! {_ENDED})",
          negatable=True),
    _rule("paid", 2.0, rf"\b{_CL}{_PAST_1ST}\b(?! {_ENDED})", negatable=True,
          unless_before=_SUBJUNCTIVE_BEFORE),
    _rule("paid", 2.0, rf"\bya {_CL}{_PAST_3RD}\b", negatable=True),
    _rule("paid", 3.0, r"\b(?:ya )?(?:lo |la |los |las )?(?:habia|habiamos|he|hemos|ha|han) "
                       r"(?:pagado|cancelado|depositado|transferido|abonado|yapeado|"
                       r"hecho (?:el|la) (?:pago|deposito|transferencia))\b", negatable=True),
    _rule("paid", 3.0, r"\b(?:esta|estan|quedo|quedaron|queda|fue|fueron|ha sido|se encuentra)"
                       r" (?:ya )?(?:pagad|cancelad|depositad|abonad|transferid|saldad|"
                       r"liquidad)[oa]s?\b", negatable=True),
    _rule("paid", 2.0, r"^(?:(?:ya|ok|listo|todo) )*(?:esta )?(?:pagad|cancelad|depositad|"
                       r"transferid)[oa]s?(?: ya)?$"),
    _rule("paid", 3.0, r"\b(?:ya )?se (?:le |les |lo |la )?(?:pago|cancelo|deposito|abono|"
                       r"transfirio|(?:hizo|realizo) (?:el|la) (?:pago|deposito|transferencia|"
                       r"consignacion))\b", negatable=True),
    _rule("paid", 3.0, rf"\b(?:hice|hicimos|hizo|realice|realizamos|realizo|efectue|efectuamos|"
                       rf"mande|mandamos|envie|enviamos|pase|pasamos|deje) (?:el |la |un |una |"
                       rf"los |las |mi |su )?{_MONEY}\b", negatable=True),
    _rule("paid", 3.0, rf"\b{_MONEY} (?:ya )?{_DONE}[oa]?\b|"
                       rf"\b(?:esta|ya esta) (?:hech|realizad)[oa] (?:el|la) {_MONEY}\b|"
                       rf"\b{_MONEY} ya (?:se hizo|se realizo|esta|fue)\b",
          negatable=True),
    _rule("paid", 3.0, r"\bacabo de (?:pagar|depositar|transferir|yapear|cancelar|abonar|"
                       r"consignar|hacer (?:el|la) \w+|mandar|enviar)", negatable=True),
    _rule("paid", 2.5, r"\bya no (?:le |les )?debo\b|\bya (?:estoy|estamos) al dia\b"),
    _rule("paid", 3.0, rf"\b(?:adjunto|(?:te|le|les) (?:mando|envio|paso|comparto|adjunto|"
                       rf"mande|envie|pase)|aqui (?:esta|le va|te va|va)|ahi (?:esta|le va|te va|"
                       rf"va)|here is|attached)(?: el| la| mi| su| the)? {_RECEIPT}"),
    _rule("paid", 2.0, rf"\b{_RECEIPT}\b", negatable=True, unless_before=_REQUEST_BEFORE),
    _rule("paid", 1.0, r"\b(?:ayer|antier|anteayer|anoche|hoy temprano|la semana pasada|"
                       r"el mes pasado|el otro dia|hoy en la manana|esta manana|"
                       r"hace (?:un )?(?:rato|ratito|poco|\d+ \w+|"
                       r"unos \w+)|recien|yesterday|last week)\b", negatable=True),
    _rule("paid", 1.0, r"\b(?:en el banco|en el agente|en agente|en el oxxo|en oxxo|"
                       r"por la app|por yape|por plin|por transferencia|en efectivo|por nequi|"
                       r"por daviplata|por mercado pago|por bizum|en ventanilla)\b",
          negatable=True),
    _rule("paid", 3.0, r"\b(?:already|just) (?:paid|transferred|sent (?:the|it|you))|"
                       r"\b(?:i|we) (?:have )?paid\b|\bpaid (?:it|yesterday|today|this|last|on|"
                       r"via|by|already|in full)\b|\bpayment (?:was |has been )?(?:made|sent|"
                       r"done|completed)\b|\b(?:made|sent|did) the (?:payment|transfer)\b|"
                       r"\b(?:has been|is) paid\b", negatable=True),
    # --- promise: a payment to come; commits only with a verb, a date qualifies it ---
    _rule("promise", 1.5, rf"\b{_CL}{_NOUN_BEFORE}{_FUTURE}\b(?! {_DONE})", kind="verb",
          negatable=True, unless_before=r"\b(?:en|a|con|por|para) (?:que|cual|quien) "
                                        r"(?:\w+ )?$|\b(?:donde|como) (?:le |te )?$|\bse $"),
    _rule("promise", 1.5, rf"\b(?:{_CL}(?:mando|envio|paso|hago|hare|mandare|enviare|tengo|"
                          rf"tendre)|voy a (?:mandar|enviar|hacer|tener)) (?:el|la|los|las|"
                          rf"lo del|su) {_MONEY}\b", kind="verb", negatable=True),
    _rule("promise", 1.5, r"\b(?:voy|vamos|ire|iremos) a (?:pagar|depositar|transferir|"
                          r"cancelar|abonar|yapear|consignar|liquidar|ponerme al dia)|"
                          r"\b(?:voy|vamos|ire|paso|pasare|paso) (?:a|al|por el|por la) "
                          r"(?:banco|oxxo|agente|agencia|ventanilla|pagar|depositar)\b",
          kind="verb", negatable=True),
    _rule("promise", 2.0, r"\b(?:dame|deme|denme|me da|me dan|me das|me puede dar|"
                          r"me pueden dar|esperame|espereme|esperenme|me espera|me esperan) "
                          r"(?:\w+ ){0,2}hasta\b", kind="verb"),
    _rule("promise", 1.5, r"\b(?:i will|we will|will|going to|gonna|can|i can|shall) "
                          r"(?:pay|transfer|send (?:the|you the|it)|settle|deposit|wire)\b",
          kind="verb", negatable=True),
    _rule("promise", 1.5, rf"\b{_DATE}\b", kind="date", negatable=True),
    _rule("promise", 1.0, r"\b(?:sin falta|me comprometo|nos comprometemos|le prometo|"
                          r"te prometo|les prometo|le aseguro|te aseguro|a mas tardar|"
                          r"de todas maneras|de todas formas|puntual|for sure|"
                          r"i promise|at the latest)\b", kind="support"),
    _rule("promise", 1.0, r"\b(?:cuando|apenas|en cuanto|ni bien) (?:me (?:paguen|depositen|"
                          r"caiga|llegue|pague)|cobre|cobremos|reciba|tenga|me den)\b",
          kind="support"),
    # --- plan: cannot pay it all now, asks for parts or time ---
    _rule("plan", 3.0, r"\b(?:plan de pagos?|planes de pago|convenio|acuerdo de pago|"
                       r"refinanci\w*|financiar|financiamiento|fraccion\w*|cuotas?|"
                       r"(?:en|por|de a) (?:\w+ )?partes|a plazos|en plazos|facilidades|a meses|"
                       r"abonos|parcialidades|pagos parciales|mensualidades|"
                       r"(?:de a|poco a) (?:poco|poquito)|de a \d+|"
                       r"(?:ir|irle|vaya|voy) (?:pagando|abonando|dando|depositando)|"
                       r"(?:la )?mitad|el resto (?:despues|luego|el|a|en|para)|"
                       r"una parte|(?:llegar a|hacer) un (?:acuerdo|arreglo)|negociar|"
                       r"abonar (?:algo|una parte|parte|lo que|cada|semanal|mensual)|"
                       r"instal+ments?|payment plan|in parts|partial payments?|"
                       r"work something out|"
                       # the plan offer's own answer, «Necesito un plan», typed
                       r"(?:necesit\w*|quier\w*|quisiera|solicit\w*|pido|den|denme|dar(?:me|nos)?)"
                       r" (?:un |el |algun )?plan)\b"),
    _rule("plan", 2.5, r"\bno (?:puedo|podemos|podre|podria|alcanzo a|tengo como|tenemos como|"
                       r"me alcanza para|nos alcanza para|me da para|voy a poder) "
                       r"(?:pagar|cancelar|cubrir)(?:lo|la|le|les)? "
                       r"(?:todo|el total|completo|la totalidad|de golpe|"
                       r"junto|de una|toda la deuda|el monto completo|en su totalidad)\b|"
                       r"\bno (?:tengo|tenemos|cuento con) (?:todo|el total|completo|"
                       r"la totalidad)\b|"
                       r"\bcannot pay (?:it |this )?(?:all|in full|the full|everything)|"
                       r"\b(?:all )?at once\b"),
    _rule("plan", 2.0, r"\b(?:ahorita|ahora|por ahora|este mes) no (?:tengo|tenemos|cuento)\b|"
                       r"\bno (?:tengo|tenemos|cuento con) (?:ni )?(?:una |un |el )?(?:plata|"
                       r"lana|dinero|luca|peso|sol|billete|varo|feria|guita|pasta|mango|"
                       r"como pagar|con que pagar|para pagar)\b|"
                       r"\b(?:estoy|ando|estamos|andamos|me quede|quede|nos quedamos) "
                       r"(?:bien |muy |medio )?(?:corto|corta|cortos|sin plata|sin lana|"
                       r"sin dinero|sin trabajo|sin chamba|sin empleo|sin chambita|"
                       r"desempleado|desempleada|pelado|pelada|quebrado|quebrada|apretado|"
                       r"apretada|apretados|sin un peso|sin un sol|en la quiebra|"
                       r"complicado|complicada|mal de (?:plata|dinero|lana|economia|billete))\b|"
                       r"\bno (?:me|nos) (?:alcanza|da para|da pa)\b|"
                       r"\bsituacion (?:esta|es|anda) (?:muy |bien )?(?:dificil|complicada|"
                       r"dura|fea)\b|\blost my job\b"),
    _rule("plan", 2.0, r"\b(?:mas|otro|un poco mas de) (?:plazo|tiempo)\b|\bmore time\b|"
                       r"\b(?:denme|deme|dame|me dan|me da|necesito) (?:un )?(?:tiempo|plazo)\b"),
    _rule("plan", 2.5, r"\b(?:solo|solamente|nada mas|unicamente) (?:puedo|podria|podemos|"
                       r"alcanzo a) (?:pagar|dar|abonar|depositar)\b"),
    _rule("plan", 1.5, r"\bno se cuando (?:podre|voy a poder|pueda)\b|\b(?:al|por|cada) "
                       r"(?:mes|semana|quincena)\b|\b(?:semanal|mensual|quincenal)(?:es)?\b"),
    # "no puedo" alone: a refusal for now, outweighed by any dated promise that follows it
    _rule("plan", 1.5, r"\bno (?:puedo|podemos|podre|voy a poder|alcanzo|alcanzamos|pude)"
                       r"(?: pagar| cancelar| depositar)?\b|\bcannot pay\b", kind="weak"),
    # --- dispute: the invoice or the debt is wrong ---
    _rule("dispute", 3.5, r"\b(?:vuelven|volvieron|vuelve) a cobrar|\b(?:cobr|factur)\w* "
                          r"(?:de mas|demas|doble|dos veces|otra vez|de nuevo|mas de lo)\b|"
                          r"\bcobro (?:doble|duplicado|indebido|excesivo|de mas)\b|"
                          r"\b(?:charged|billed) twice\b|\bovercharged\b"),
    _rule("dispute", 3.0, r"\b(?:no (?:(?:la|lo|los|las) )?recono[cz]\w*|desconozco|"
                          r"no (?:me )?corresponden?|"
                          r"(?:esta|estan|vino|viene|salio|llego) mal\b|mal (?:emitid|"
                          r"facturad|calculad|cobrad|hech)|equivocad[oa]s?|errone[oa]|error|"
                          r"no (?:es|son) (?:mia|mio|mias|mios|nuestra|nuestro|de nosotros|"
                          r"de mi empresa|para mi|correct[oa]|el que|lo que)|"
                          r"(?:no|nunca) (?:pedi|compre|compramos|pedimos|solicite|solicitamos|"
                          r"contrate|contratamos|ordene|autorice|adquiri|firme|firmamos|acepte|aceptamos)\b|"
                          r"(?:no|nunca) (?:(?:me|nos) )?(?:recibi|recibimos|llego|llegaron|"
                          r"entregaron|dieron)\b(?! (?:el |mi )?(?:sueldo|pago|quincena|"
                          r"salario|plata))"
                          # "no me llegó la factura" asks for a copy (invoice_copy)
                          r"(?! (?:la |las |el |ninguna )?(?:factura|facturas|boleta|pdf)\b)|"
                          r"monto (?:no (?:es|esta|coincide|cuadra)(?: correcto| bien)?|"
                          r"incorrecto|equivocado)|precio (?:no es(?: el)?|acordado|pactado|"
                          r"incorrecto)|"
                          r"no (?:es|fue) lo (?:acordado|pactado)|nota de credito|reclam\w*|"
                          r"quej\w*|devolucion|devolv(?:i|imos|er)|garantia|"
                          r"fallad[oa]s?|defectuos[oa]s?|danad[oa]s?|malograd[oa]s?|"
                          r"incomplet[oa]s?|no funciona|no sirve|anulad[oa]s?|anularon|"
                          r"(?<!ya )no (?:lo |la |le |les )?deb(?:o|emos)\b|no existe|"
                          r"no estoy de acuerdo|no estamos de acuerdo|otra razon social|"
                          r"otro (?:ruc|rfc|nit|rut|cuit|nombre)|(?:ruc|rfc|nit|rut) (?:esta )?mal|"
                          r"(?:servicio|trabajo|instalacion|pedido|producto|mercaderia|mercancia)"
                          r" (?:nunca|no) (?:se )?(?:hizo|realizo|presto|brindo|entrego|llego|"
                          r"termino|completo)|wrong (?:amount|invoice|price)|not (?:mine|ours)|"
                          r"never (?:received|ordered|got)|dispute|incorrect|(?:is|are) wrong)"),
    _rule("dispute", 3.0, rf"\b{_CL}cancel(?:e|amos) {_ENDED}\b|"
                          r"\b(?:cobro|factura|monto|precio|interes|intereses|mora) "
                          r"(?:es |son )?(?:un )?(?:abuso|abusiv[oa]s?|injust[oa]s?|"
                          r"excesiv[oa]s?|exagerad[oa]s?)\b"),
    _rule("dispute", 2.0, r"\b(?:no (?:voy|vamos) a pagar|no pienso pagar|no pagare|"
                          r"por que me (?:cobran|estan cobrando))\b"),
    # --- person: wants a human ---
    _rule("person", 3.0, r"\b(?:(?:quiero|necesito|quisiera|puedo|podemos|me gustaria|deseo) "
                         r"(?:hablar|conversar|platicar)|(?:hablar|conversar|platicar) con|"
                         r"llam(?:ame|enme|eme|arme|arnos)|marc(?:ame|enme|ueme|quenme|arme)|"
                         r"marquenme|marqueme|timbrame|(?:que )?me (?:llamen|llame|pueden llamar|"
                         r"puede llamar|podrian llamar|podria llamar|podes llamar|puedes llamar|"
                         r"llaman)|contact(?:enme|eme|ame)|comuni(?:quenme|queme|came)|"
                         r"(?:eres|es|sos|son) (?:un |una )?(?:robot|bot|maquina|contestadora)|"
                         r"call me|give me a call|phone me|(?:talk|speak) (?:to|with) "
                         r"(?:someone|somebody|a person|a human|an agent|a real|a manager|your)|"
                         r"real person|human|representative|someone call)\b"),
    _rule("person", 2.5, r"\b(?:(?:un|una|algun|alguna) (?:persona|humano|asesor|asesora|"
                         r"ejecutivo|ejecutiva|agente|operador|operadora|representante|"
                         r"encargado|encargada|supervisor)|(?:su|el|la|al|a la) (?:supervisor|"
                         r"supervisora|gerente|jefe|jefa|encargado|encargada)|"
                         r"pas(?:ame|enme|eme) con|(?:me|nos) (?:comunica|comunican|comunicas|"
                         r"pasa|pasan|pasas|transfiere|transfieren) con|"
                         r"hay alguien (?:con quien|que|ahi)|atencion personal\w*|atienda|"
                         r"atiendan|an agent|a person|(?:quien|alguien) (?:me|nos) (?:\w+ )?"
                         r"(?:atienda|atender|llame|llamar|ayude|ayudar)|por telefono|"
                         r"por llamada|(?:hablarlo|conversarlo|verlo|tratarlo) "
                         r"(?:en persona|personalmente))\b"),
    # --- stop: no more messages ---
    _rule("stop", 4.0, r"^(?:(?:por favor|please) )?(?:stop|baja|alto|unsubscribe|stop stop|"
                       r"cancelar suscripcion|basta)(?: (?:por favor|please|gracias|thanks))?$"),
    _rule("stop", 3.5, r"\b(?:basta de (?:mensajes|escribir|molestar)|"
                       r"no (?:me |nos )?(?:escriban|escribas|escriba|manden|mandes|"
                       r"envien|envies|contacten|contactes|molesten|molestes|jodan|fastidien|"
                       r"llamen)|dej(?:en|a|e) (?:ya )?de (?:escribir|mandar|enviar|molestar|"
                       r"llamar|fregar|joder|insistir|contactar)\w*|"
                       r"no quiero (?:que me (?:escriban|manden|envien|contacten|llamen|"
                       r"molesten|sigan)|"
                       r"recibir|mas (?:mensajes|notificaciones|recordatorios))|"
                       r"(?:borr|elimin|quit|sa?qu)(?:enme|ame|eme)|"
                       r"(?:borren|eliminen|quiten) mi numero|(?:denme|darme|dar|deme) de baja|"
                       r"no (?:me |nos )?(?:vuelvan|vuelvas|vuelva) a \w+|no mas mensajes|"
                       r"stop (?:texting|messaging|sending|writing)|do not (?:text|message|"
                       r"contact|write|send)|opt out|remove me|unsubscribe)\b"),
    # --- balance: what the customer owes ---
    # "no sé cuánto debo" asks all the same: not negatable.
    _rule("balance", 3.0, r"\bcuanto (?:(?:le|les|te|e|se|lo) )?(?:debo|debemos|adeudo|"
                          r"adeudamos|es|seria|sale|salio|falta|me falta|nos falta|queda|"
                          r"me queda|nos queda|tengo (?:pendiente|de deuda|por pagar|que pagar)|"
                          r"tenemos (?:pendiente|por pagar|que pagar)|hay (?:que pagar|pendiente)|"
                          r"va|van|llevo|llevamos|suma)\b|"
                          r"\bhow much (?:do (?:i|we) owe|(?:i|we) owe|is (?:outstanding|due|"
                          r"pending|left|owed|my balance|the balance|the total)|do (?:i|we) "
                          r"(?:have|need) to pay)\b|\bwhat do (?:i|we) owe\b|"
                          r"^(?:mi |el )?saldo(?: por favor| please)?$"),
    _rule("balance", 3.0, r"\b(?:(?:mi|su|nuestro) (?:saldo|adeudo|balance)|"
                          r"(?:mi|nuestra) deuda|"
                          r"(?:que|cual|cuanto) (?:es )?(?:mi |el )?saldo|"
                          r"saldo (?:pendiente|a pagar|actual|total|deudor|a la fecha|por pagar)|"
                          r"estado de (?:cuenta|mi cuenta|deuda)|resumen de (?:mi )?cuenta|"
                          r"(?:cual|cuanto) es (?:el|la) (?:monto|total|deuda)|"
                          r"(?:cual|cuales|que|cuantas) (?:son )?(?:mis |las )?facturas "
                          r"(?:tengo|tenemos|hay|debo|debemos|adeudo|pendientes|vencidas|abiertas|"
                          r"por pagar|me faltan|faltan|estan pendientes|que tengo|que debo)|"
                          r"(?:mis|las) facturas (?:pendientes|vencidas|abiertas|por pagar|impagas|"
                          r"que debo)|(?:tengo|tenemos) (?:algo|alguna factura|facturas|"
                          r"alguna deuda|deudas?|saldo) (?:pendientes?|por pagar|vencid[oa]s?)|"
                          r"(?:my|the|our) (?:outstanding |current )?balance|account statement|"
                          r"statement of account|outstanding (?:invoices|balance|amount)|"
                          r"(?:what|which) invoices (?:do (?:i|we) have|are (?:open|due|pending|"
                          r"outstanding)))\b", negatable=True, unless_before=_SETTLED_BEFORE),
    _rule("balance", 3.0, rf"\b{_ASK} (?:{_DET} )?(?:saldo|estado de cuenta|total|monto total|"
                          r"resumen de (?:mi )?cuenta|detalle de (?:mi |la )?(?:deuda|cuenta|"
                          r"saldo))\b|\b(?:saber|conocer|consultar|ver|revisar) (?:mi|el) "
                          r"(?:saldo|deuda|estado de cuenta)\b", negatable=True),
    # --- invoice_copy: the invoice's PDF again ---
    _rule("invoice_copy", 3.0, rf"\b{_ASK} (?:{_DET} )?(?:copia (?:de |del )?(?:{_DET} )?)?"
                               r"(?:factura|facturas|boleta|boletas|pdf|documento|documentos|"
                               r"xml)\b|"
                               r"\bcopia (?:de|del) (?:la |las |mi |mis )?(?:factura|facturas|"
                               r"boleta|documento)\b|"
                               r"\bfacturas? (?:en pdf|\w+ )?(?:\w+ )?(?:me|nos) (?:la|las) "
                               r"(?:pueden |puede |podrian |podria |podes |puedes )?(?:pasan|"
                               r"pasa|pasas|pasar|mandan|manda|mandas|mandar|envian|envia|envias|"
                               r"enviar|reenvian|reenvia|reenviar|comparten|comparte|compartir)\b|"
                               r"\b(?:send|resend|email|forward)(?: me| us)?(?: a copy of)? "
                               r"(?:the|my|a|this|that|our) (?:invoice|invoices|pdf|bill)\b|"
                               r"\bcopy of (?:the|my|our) invoices?\b|"
                               r"\b(?:i|we) need (?:the|my|our|a copy of the) invoices?\b",
          negatable=True),
    # "no me llegó la factura", "no tengo el pdf": the negation is the request.
    _rule("invoice_copy", 3.0, r"\bno (?:me |nos )?(?:llego|llegaron|ha llegado|han llegado|"
                               r"recibi|recibimos|he recibido|hemos recibido|tengo|tenemos|"
                               r"encuentro|encontramos) (?:la|el|las|los|ninguna) (?:factura|"
                               r"facturas|boleta|pdf)\b|\b(?:did not|didn t|never) (?:get|receive) "
                               r"the invoice\b"),
    # --- how_to_pay: where and how to pay ---
    # "no sé a qué cuenta depositar" asks all the same: not negatable.
    _rule("how_to_pay", 3.0, r"\b(?:(?:numero|codigo|nro) (?:de|del) (?:cuenta|la cuenta|cci|"
                             r"yape|plin|nequi|daviplata|clabe|transferencia|deposito)|cci|clabe|"
                             r"iban|swift|"
                             r"cuenta (?:bancaria|interbancaria|corriente|de ahorros?|para "
                             r"(?:depositar|transferir|pagar|consignar|el pago|el deposito|"
                             r"la transferencia|yapear))|"
                             r"datos (?:bancarios|de (?:la )?cuenta|para (?:transferir|"
                             r"la transferencia|transferencia|depositar|el deposito|deposito|"
                             r"pagar|el pago|pago|consignar|yapear))|"
                             r"(?:a|en|con|de) (?:que|cual) (?:cuenta|banco|numero|nombre)|"
                             r"a nombre de quien|"
                             r"(?<!tengo )(?<!tenemos )(?<!hay )"
                             r"(?:donde|como) (?:le |te |les |lo )?"
                             r"(?:pago|puedo pagar|podemos pagar|pagamos|deposito|puedo depositar|"
                             r"depositamos|hago (?:el pago|para pagar|el deposito|"
                             r"la transferencia)|transfiero|yapeo|consigno|se paga|se puede pagar|"
                             r"pagar|depositar|transferir|consignar|puedo hacer|realizo el pago|"
                             r"hacemos el pago)|"
                             r"(?:medios|formas|metodos|opciones|maneras) de pago|"
                             r"(?:aceptan|reciben|tienen|tiene|manejan|trabajan con|"
                             r"(?:se puede|puedo|podemos|podria) pagar (?:con|por|via|en)) "
                             r"(?:tarjeta|tarjetas|pagos? con tarjeta|yape|plin|nequi|daviplata|"
                             r"transferencia|paypal|mercado ?pago|oxxo|efectivo|cheque|pse|spei|"
                             r"deposito|bizum)|"
                             r"(?:link|enlace|liga) (?:de|para) (?:pago|pagar)|"
                             r"(?:tienen|tiene|hay) cuentas? (?:en|del|de)|"
                             r"account number|bank (?:details|account|transfer details)|"
                             r"payment (?:methods|options|link|details)|"
                             r"how (?:can|do|should) (?:i|we) pay|where (?:can|do) (?:i|we) pay|"
                             r"pay (?:by|with|via) (?:card|credit card|transfer|bank transfer|"
                             r"paypal))\b"),
    _rule("how_to_pay", 3.0, rf"\b{_ASK} (?:(?:los|sus|tus|el|la|su|tu|un|una) )?(?:datos|"
                             r"cuenta bancaria|link|enlace|liga|medios de pago|forma de pago|"
                             r"yape|plin|nequi|clabe)\b", negatable=True),
    # --- unknown on purpose: questions a person answers ---
    _rule("unknown", 2.5, r"\b(?:(?:que|cual) factura|de que (?:es|empresa|se trata|factura)|"
                          r"quien (?:es|habla|eres|me escribe|son|me habla)|"
                          r"(?:me|nos) (?:pueden |puede |podrian |podria )?(?:pasan|pasas|mandan|"
                          r"mandas|mandar|envian|envias|enviar|reenvian|dan|das|dar) (?:la |el |"
                          r"los |las |un |una )?(?:detalle|comprobante|"
                          r"numero(?! (?:de|del) (?:cuenta|la cuenta|cci|yape|plin))|"
                          r"cuenta(?! (?:bancaria|interbancaria|corriente|de ahorro|para))|"
                          r"recibo)|"
                          r"no entiendo|no entendi|who is this|what (?:invoice|is this))\b"),
)

_RULES_BY_WEIGHT = sorted(RULES, key=lambda rule: -rule.weight)

# Acknowledgements: a reply made only of these words (and politeness) says thanks.
_ACK_CORE = {
    "gracias", "ok", "vale", "listo", "acuerdo", "entendido", "entendida", "recibido",
    "recibida", "perfecto", "perfecta", "bueno", "excelente", "genial", "dale", "sale", "va",
    "claro", "amable", "enterado", "enterada", "anotado", "visto", "super", "chevere", "bacan",
    "igualmente", "thanks", "thank", "noted", "got", "great", "cool", "perfect", "sure",
}
_ACK_FILLER = {
    "muchas", "mil", "de", "muy", "por", "el", "la", "lo", "aviso", "avisar", "recordatorio",
    "recordarme", "info", "informacion", "mensaje", "dato", "you", "it", "so", "much", "ya",
    "vi", "saludos", "bendiciones", "senorita", "senor", "senora", "joven", "buen", "buena",
    "buenas", "dia", "dias", "tarde", "tardes", "noche", "noches", "que", "tenga", "tengas",
    "feliz", "un", "abrazo", "cordial", "cordiales", "atentamente", "doki", "bien", "todo",
    "igual", "hola", "estimado", "estimada", "amigo", "amiga", "entiendo", "comprendo",
    "cuidese", "cuidate", "and", "very", "ok", "a", "y", "e", "mucho", "gusto",
}
_ACK_EMOJIS = ("👍", "👌", "🙏", "🤝", "✅", "🆗")
_ANGRY_EMOJIS = ("😡", "🤬", "😠", "🖕", "💩")

_FRUSTRATION = re.compile(
    r"\b(?:ya (?:les|le|te) (?:dije|dijimos|explique|escribi|avise|informe|repeti)|"
    r"cuantas veces|por enesima vez|(?:otra vez|de nuevo) (?:me|nos) (?:escriben|cobran|"
    r"mandan|llaman|molestan)|todos los dias (?:me|nos)|a cada rato|que parte no|no entienden|"
    r"abogad[oa]s?|denuncia\w*|demanda\w*|indecopi|profeco|condusef|sernac|osiptel|"
    r"defensa del consumidor|superintendencia|estaf\w*|fraude|ladron\w*|rateros?|"
    r"sinverguenzas?|sin verguenza|abusiv[oa]s?|abuso|acos\w*|hostig\w*|harto|harta|hartos|"
    r"hartas|hasta la madre|hasta el gorro|podrido|dejen de molestar|no molesten|no jodan|"
    r"jod\w*|fastidi\w*|basta|idiotas?|imbeciles?|inutiles?|estupid[oa]s?|pendej\w*|mierda|"
    r"carajo|chinga\w*|cabrones|huevones|weones|boludos|pelotudos|gilipollas|conchatumadre|"
    r"ctm|csm|hdp|maldit[oa]s?|put[oa]s|exponerlos|redes sociales|reportarlos|"
    r"lawyer|sue|scam\w*|harass\w*|idiots|wtf|fed up|sick of|leave me alone|already told you)\b")

# Between a negation and the words it negates: auxiliaries, pronouns, "poder", the verb.
_NEGATION = re.compile(
    r"\b(?:no|nunca|jamas|tampoco|ni|not|never|cannot|haven|didn)"
    r"((?: (?:he|hemos|ha|han|habia|habiamos|e|le|les|lo|la|los|las|te|se|me|nos|yo|"
    r"pude|puedo|podemos|podre|podria|podido|pudimos|pudo|alcanzo|alcance|alcanzamos|a|"
    r"logre|logramos|voy|vamos|iba|ibamos|tengo|tenemos|como|hay|creo|que|he|sido|"
    r"pagar|pagarle|pagarles|depositar|depositarle|transferir|transferirle|cancelar|"
    r"cancelarle|abonar|abonarle|yapear|hacer|hacerle|el|la|pago|deposito|"
    r"have|has|had|did|do|will|be|able|to|yet|i|we|it|been|is|was|gonna|going|pay|"
    r"transfer)){0,4}) $")
_CLAUSE_BREAK = re.compile(r"[,.;:!?¿¡\n]")


def _raw_span(spans, start, end):
    """The raw characters behind the normalised span [start, end)."""
    covered = [s for s in spans if s[1] > start and s[0] < end]
    if not covered:
        return None
    return covered[0][2], covered[-1][3]


def _is_negated(t, spans, raw, start, end, kind):
    prefix = t[:start]
    match = _NEGATION.search(prefix)
    if match:
        between = _raw_span(spans, match.start(), start)
        target = _raw_span(spans, start, end)
        if not (between and target and _CLAUSE_BREAK.search(raw[between[0]:target[0]])):
            return True
    # "hoy no puedo": a date followed by a negation is a refusal for that day.
    return kind == "date" and bool(re.match(r" (?:no|tampoco|not)\b", t[end:]))


def _blocked(rule, t, spans, raw, match):
    span = _raw_span(spans, match.start(), match.end())
    written = raw[span[0]:span[1]].lower() if span else ""
    if rule.intent == "promise" and rule.kind == "verb" and written.endswith("ó"):
        return True  # "ya pagó": the accent says he paid, not "I pay"
    if rule.unless_before is None or not rule.unless_before.search(t[:match.start()]):
        return False
    # "ya les dije que pagué": the accent says past tense, not the subjunctive "que pague".
    return "é" not in written


def _score(t, spans, raw):
    """Each rule counts once per intent, and words already counted for that intent
    do not count again ("ya pagué" is one statement, not "ya pagué" plus "pagué").
    The strongest rules claim their words first.
    """
    scores = dict.fromkeys(INTENTS, 0.0)
    evidence = {intent: [] for intent in INTENTS}
    kinds = {intent: set() for intent in INTENTS}
    counted = {intent: [] for intent in INTENTS}
    for rule in _RULES_BY_WEIGHT:
        for match in rule.pattern.finditer(t):
            start, end = match.span()
            if any(s < end and start < e for s, e in counted[rule.intent]):
                continue
            if rule.negatable and _is_negated(t, spans, raw, start, end, rule.kind):
                continue
            if _blocked(rule, t, spans, raw, match):
                continue
            span = _raw_span(spans, start, end)
            scores[rule.intent] += rule.weight
            evidence[rule.intent].append(raw[span[0]:span[1]] if span else match.group())
            kinds[rule.intent].add(rule.kind)
            counted[rule.intent].append((start, end))
            break
    return scores, evidence, kinds


def _acknowledgement(t, spans, raw):
    """Weight of thanks: full when the reply is nothing but an acknowledgement."""
    words = t.split()
    emojis = [e for e in _ACK_EMOJIS if e in raw]
    core = [raw[span[2]:span[3]] for word, span in zip(words, spans, strict=True)
            if word in _ACK_CORE]
    if not core and not emojis:
        return 0.0, ()
    pure = all(w in _ACK_CORE or w in _ACK_FILLER for w in words)
    return (3.5 if pure else 1.5), (*dict.fromkeys(core[:3]), *emojis[:1])


def _frustration(t, raw):
    """Anger, threats or shouting: the reply needs a person whatever it asks."""
    match = _FRUSTRATION.search(t)
    if match:
        return match.group()
    angry = [e for e in _ANGRY_EMOJIS if e in raw]
    if angry:
        return angry[0]
    letters = [c for c in raw if c.isalpha()]
    upper = sum(1 for c in letters if c.isupper())
    if len(letters) >= 8 and upper >= 0.8 * len(letters) and (
            "!!" in raw or len(letters) >= 25):
        return "CAPS!!!"
    return None


def _confidence(best, second):
    """Strength of the best reading, discounted by how close the runner-up comes.

    One clear phrase (weight 3) gives 0.75; a statement with its proof (3 + 2) gives 0.9;
    a lone weak cue (1.5) stays under LOW_CONFIDENCE.
    """
    strength = 1 - 0.5 ** (best / 1.5)
    return round(strength * (1 - 0.5 * second / best), 2)


def _from_payload(payload, text, today):
    code, _sep, reference = str(payload).partition(":")
    code = code.strip().upper()
    intent = QUICK_REPLY_PAYLOADS.get(code)
    if not intent:
        return None
    return IntentResult(
        intent, 1.0, (f"payload:{code}",),
        promise_date=parse_promise_date(text or "", today) if intent == "promise" else None,
        amount=parse_amount(text), reference=reference.strip() or None)


def detect_intent(text, today, payload=None):
    """Read one reply. A template button is unambiguous; free text is scored."""
    if payload:
        result = _from_payload(payload, text, today)
        if result:
            return result
    raw = text or ""
    t, spans = _normalize_map(raw)
    frustration = _frustration(t, raw)
    scores, evidence, kinds = _score(t, spans, raw)
    thanks, thanks_words = _acknowledgement(t, spans, raw)
    acting = [i for i in INTENTS if i not in ("promise", "thanks", "unknown") and scores[i]]
    if scores["promise"] and "verb" not in kinds["promise"] and acting:
        # "pagué el lunes", "no tengo lana ahorita": the date belongs to another intent.
        scores["promise"], evidence["promise"] = 0.0, []
    if scores["promise"] and "date" not in kinds["promise"] and \
            any(scores[i] for i in SELF_SERVICE_INTENTS):
        # "qué saldo tengo", "cuánto le debo para pagarle": an undated verb in a question.
        scores["promise"], evidence["promise"] = 0.0, []
    if {"verb", "date"} <= kinds["promise"] and kinds["plan"] == {"weak"}:
        # "hoy no puedo, el viernes le pago": the refusal is for today, the promise stands.
        scores["plan"], evidence["plan"] = 0.0, []
    if thanks and not any(scores[i] for i in INTENTS if i != "thanks"):
        scores["thanks"], evidence["thanks"] = thanks, list(thanks_words)
    ranked = sorted(((score, intent) for intent, score in scores.items() if score),
                    reverse=True)
    extra = (f"frustration:{frustration}",) if frustration else ()
    if not ranked:
        return IntentResult("unknown", 0.0, extra, needs_person=True,
                            frustration=bool(frustration), amount=parse_amount(raw))
    best_score, best = ranked[0]
    second_score, second = ranked[1] if len(ranked) > 1 else (0.0, None)
    confidence = _confidence(best_score, second_score)
    date = parse_promise_date(raw, today) if best == "promise" else None
    if best == "promise" and not date:
        confidence = min(confidence, UNDATED_PROMISE_CONFIDENCE)
    ambiguous = bool(second) and second_score >= AMBIGUITY_RATIO * best_score
    if ambiguous:
        extra = (f"ambiguous:{second}", *extra)
    return IntentResult(
        best, confidence, tuple(evidence[best]) + extra, promise_date=date,
        amount=parse_amount(raw),
        needs_person=bool(frustration) or ambiguous or best == "unknown"
        or confidence < LOW_CONFIDENCE,
        frustration=bool(frustration))
