"""What a customer's reply means: rule-based, explainable, Spanish first (and English).

Each intent has weighted patterns over a normalised text (lowercase, no accents, repeated
letters folded, common abbreviations expanded). The result names the phrases that
decided it; ambiguity, frustration or low confidence always send the reply to a person.
"""

import calendar
import dataclasses
import datetime
import re
import unicodedata
from decimal import Decimal, InvalidOperation

INTENTS = ("paid", "promise", "plan", "dispute", "person", "stop", "thanks", "unknown")
QUICK_REPLY_PAYLOADS = {"PAID": "paid", "PLAN": "plan", "PERSON": "person", "STOP": "stop",
                        "PROMISE": "promise", "DISPUTE": "dispute"}
LOW_CONFIDENCE = 0.6


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


ABBREVIATIONS = [
    (r"\bq\b", "que"), (r"\bxq\b|\bpq\b|\bporq\b", "porque"), (r"\bx\b", "por"),
    (r"\bmn+a?\b|\bmñn+a?\b|\bmanan\b", "manana"), (r"\bd\b", "de"), (r"\bk\b", "que"),
    (r"\bstaba\b", "estaba"), (r"\bta\b", "esta"), (r"\bpa\b", "para"), (r"\bxfa\b", "porfavor"),
    (r"\bporfa\b", "por favor"), (r"\bdepo\b", "deposito"), (r"\bok+\b", "ok"),
    (r"\bvdd\b", "verdad"), (r"\bnd\b", "nada"),
]

WEEKDAYS = {"lunes": 0, "martes": 1, "miercoles": 2, "jueves": 3, "viernes": 4, "sabado": 5,
            "domingo": 6, "monday": 0, "tuesday": 1, "wednesday": 2, "thursday": 3,
            "friday": 4, "saturday": 5, "sunday": 6}
MONTHS = {"enero": 1, "febrero": 2, "marzo": 3, "abril": 4, "mayo": 5, "junio": 6, "julio": 7,
          "agosto": 8, "septiembre": 9, "setiembre": 9, "octubre": 10, "noviembre": 11,
          "diciembre": 12}

NEGATION = r"(?<!ya )\b(no|nunca|todavia no|aun no|aun)\s+(he|hemos|e|le|les|lo|la|me)?\s*"

# (intent, weight, pattern) over the normalised text.
RULES = [
    ("paid", 3.0, r"\bya (le |les |lo |la )?(pague|pagamos|pago|pagado|cancele|cancelamos|"
                  r"deposite|depositamos|transferi|transferimos|abone|abonamos|yapee|yapie|"
                  r"plinee|hice el (pago|deposito|yape|plin|abono|transferencia))"),
    ("paid", 2.5, r"\b(pague|pagamos|deposite|depositamos|transferi|transferimos|yapee|yapie|"
                  r"plinee|cancele) (ayer|hoy|el|la|en|antier|anoche|esta manana|temprano|"
                  r"por|todo|ya)"),
    ("paid", 2.5, r"\b(esta|estan|quedo|quedaron) (pagad[ao]s?|cancelad[ao]s?)\b"),
    ("paid", 2.5, r"\bya se (pago|cancelo|deposito|transfirio)\b"),
    ("paid", 2.5, r"\bya (le |les )?(pase|mande|envie|deje) (la plata|el dinero|la lana|el pago"
                  r"|la captura|el voucher|el comprobante)"),
    ("paid", 2.0, r"\b(voucher|comprobante|constancia|captura|recibo|baucher)\b"),
    ("paid", 2.0, r"\b(hice|realice|mande|envie) (el|la|un|una) (pago|deposito|transferencia|"
                  r"yape|plin)"),
    ("paid", 2.5, r"\b(already paid|i paid|we paid|paid (it|yesterday|today)|payment (was )?"
                  r"(made|sent|done))"),
    ("paid", 2.0, r"\boxxo\b.*\b(deposite|pague|hice)|\b(deposite|pague|hice)\b.*\boxxo\b"),
    ("promise", 2.5, r"\b(le |les |te )?(pago|pagare|pagamos|deposito|depositare|transfiero|"
                     r"cancelo|yapeo|abono|mando|hago el (pago|deposito))\b.{0,30}\b(manana|"
                     r"pasado|hoy|lunes|martes|miercoles|jueves|viernes|sabado|domingo|semana|"
                     r"quincena|fin de mes|el \d|el dia|al toque|ahorita|en la tarde|"
                     r"mes que viene|proximo mes|en \d+ dias)"),
    ("promise", 2.5, r"\b(manana|pasado manana|el (lunes|martes|miercoles|jueves|viernes|sabado)"
                     r"|la (otra |proxima )?semana|fin de mes|la quincena|el \d{1,2}\b|"
                     r"cuando me paguen|cuando cobre|en \d+ dias|hoy|en la tarde|esta tarde|"
                     r"ahorita|(el )?(proximo|otro) mes|el mes que viene)\b.{0,30}\b(pago|"
                     r"pagare|deposito|cancelo|le yapeo|transfiero|sin falta|le mando|abono)"),
    ("promise", 2.0, r"\b(dame|deme|denme|me da|me dan) (hasta|chance hasta|plazo hasta|"
                     r"unos dias hasta)\b"),
    ("promise", 1.5, r"\b(sin falta|me comprometo|le prometo|le aseguro|de seguro le pago)"),
    ("promise", 2.0, r"\bal toque (le )?(pago|yapeo|deposito|cancelo)"),
    ("promise", 2.5, r"\b(i will|i'll|will) pay\b|\bpay (you )?(tomorrow|on|next|by)"),
    ("plan", 3.0, r"\b(plan de pagos?|en cuotas|cuotas|fraccionar|fraccionado|en partes|por partes"
                  r"|a plazos|facilidades|financiar|refinanciar|abonos|poco a poco|de a poco)\b"),
    ("plan", 2.5, r"\b(no (puedo|podemos|tengo como|me alcanza|alcanzo) (pagar )?(todo|el total|"
                  r"completo|de golpe|junto|la totalidad))"),
    ("plan", 2.0, r"\bno me alcanza\b"),
    ("plan", 2.0, r"\b(ahorita|ahora) no (tengo|tenemos)|no tengo (plata|lana|dinero|luca|"
                  r"chamba|trabajo)|\bmuy dificil pagar|estoy (corto|sin plata|sin trabajo)"),
    ("plan", 2.5, r"\b(instal+ments?|payment plan|pay in parts|can'?t pay (it )?all)"),
    ("dispute", 3.0, r"\b(no reconozco|no corresponde|esta mal|estan mal|equivocad[ao]|error en"
                     r"|erronea|mal emitida|no es mia|no es nuestra|no pedi|no compre|"
                     r"no recibi|nunca recibi|ya la habia pagado|cobro doble|me cobraron doble|"
                     r"monto (no es|incorrecto)|no es correcto|nota de credito|reclamo|"
                     r"queja|devolucion|producto (fallado|defectuoso|danado)|(llego|vino|esta|"
                     r"salio) (fallado|defectuoso|danado|roto|incompleto))"),
    ("dispute", 2.5, r"\b(wrong (amount|invoice)|not mine|never received|dispute|overcharged)"),
    ("person", 3.0, r"\b(hablar con (alguien|una persona|un asesor|un humano|su jefe|el encargado"
                    r"|un ejecutivo)|llam(ame|enme|eme|en me)|me (pueden|puede) llamar|"
                    r"(un|una) (asesor|asesora|ejecutivo|persona|humano)|atencion personal|"
                    r"comuniquenme|contactenme|quiero hablar)"),
    ("person", 3.0, r"\b(call me|talk to (someone|a person|an agent)|human|agent)\b"),
    ("stop", 4.0, r"^\s*(stop|baja|alto|cancelar suscripcion|unsubscribe)\s*$"),
    ("stop", 3.5, r"\b(no me (escriban|escribas|manden|envien|molesten|contacten)|dejen de "
                  r"(escribir|escribirme|mandar|molestar|enviar)|no quiero que me (escriban|"
                  r"manden|contacten|llamen)|no quiero (recibir|mas) "
                  r"mensajes|borrenme|eliminenme|sacame|saquenme|no mas mensajes|"
                  r"stop (messages|texting)|unsubscribe)"),
    ("thanks", 1.5, r"^\s*(gracias|muchas gracias|mil gracias|ok|okey|oki|vale|listo|de acuerdo|"
                    r"entendido|recibido|perfecto|bueno|ya|si|thanks|thank you|thx|ok gracias|"
                    r"gracias igualmente|igualmente|excelente)\s*[.!]*\s*$"),
    ("thanks", 1.0, r"\b(gracias|thanks|thank you|recibido|entendido)\b"),
]

FRUSTRATION = r"\b(ya les dije|ya le dije|cuantas veces|abogado|denuncia|denunciar|indecopi|" \
              r"profeco|sernac|estafa|estafadores|ladrones|acoso|hostigamiento|harto|harta|" \
              r"molestan|fastidian|basta ya|que parte no entienden)\b"


def normalize(text):
    text = (text or "").lower()
    text = "".join(c for c in unicodedata.normalize("NFKD", text)
                   if not unicodedata.combining(c))
    text = re.sub(r"([a-z])\1{2,}", r"\1", text)  # siiii -> si, holaaa -> hola
    text = re.sub(r"[^\w\s/.,$:-]", " ", text)
    for pattern, replacement in ABBREVIATIONS:
        text = re.sub(pattern, replacement, text)
    return re.sub(r"\s+", " ", text).strip()


def _next_weekday(today, weekday):
    days = (weekday - today.weekday()) % 7 or 7
    return today + datetime.timedelta(days=days)


def _month_day(today, day):
    year, month = today.year, today.month
    if day < today.day:
        month += 1
        if month > 12:
            year, month = year + 1, 1
    return datetime.date(year, month, min(day, calendar.monthrange(year, month)[1]))


def _end_of_month(today):
    return today.replace(day=calendar.monthrange(today.year, today.month)[1])


def parse_promise_date(text, today):
    t = normalize(text)
    if re.search(r"\bpasado manana\b", t):
        return today + datetime.timedelta(days=2)
    if re.search(r"\b(manana|tomorrow)\b", t):
        return today + datetime.timedelta(days=1)
    if re.search(r"\b(hoy|today|al toque|ahorita|en la tarde|esta tarde|tonight)\b", t):
        return today
    match = re.search(r"\ben (\d{1,2}) dias\b|\bin (\d{1,2}) days\b", t)
    if match:
        return today + datetime.timedelta(days=int(match.group(1) or match.group(2)))
    match = re.search(r"\b(\d{1,2})\s*(?:/|-|de)\s*(\d{1,2}|" + "|".join(MONTHS) + r")\b", t)
    if match:
        day = int(match.group(1))
        month = int(match.group(2)) if match.group(2).isdigit() else MONTHS[match.group(2)]
        if 1 <= month <= 12 and 1 <= day <= 31:
            year = today.year
            try:
                date = datetime.date(year, month, min(day, calendar.monthrange(year, month)[1]))
            except ValueError:
                return None
            if date < today:
                date = date.replace(year=year + 1)
            return date
    for name, weekday in WEEKDAYS.items():
        if re.search(rf"\b{name}\b", t):
            return _next_weekday(today, weekday)
    if re.search(r"\b(fin de mes|fin del mes|end of (the )?month|a fin de mes)\b", t):
        return _end_of_month(today)
    if re.search(r"\bquincena\b", t):
        mid = today.replace(day=15)
        return mid if mid >= today else _end_of_month(today)
    if re.search(r"\b(proxima semana|semana que viene|la otra semana|next week)\b", t):
        return _next_weekday(today, 0)
    if re.search(r"\b(proximo mes|mes que viene|next month)\b", t):
        return _month_day(today.replace(day=1), 1) if today.day == 1 else \
            (_end_of_month(today) + datetime.timedelta(days=1))
    match = re.search(r"\b(?:el|el dia|on the|cuando me paguen el)\s+(\d{1,2})\b", t)
    if match and 1 <= int(match.group(1)) <= 31:
        return _month_day(today, int(match.group(1)))
    return None


def parse_amount(text):
    t = (text or "").lower()
    match = re.search(r"(?:s/|\$|€|usd|pen|mxn|eur)\s*([\d.,]+)|([\d.,]+)\s*(?:soles|pesos|"
                      r"dolares|euros|€|usd|mxn|pen)", t)
    if not match:
        return None
    raw = match.group(1) or match.group(2)
    raw = raw.strip(".,")
    if re.search(r"\d\.\d{3},\d{1,2}$", raw) or re.search(r",\d{1,2}$", raw):
        raw = raw.replace(".", "").replace(",", ".")
    else:
        raw = raw.replace(",", "")
    try:
        value = Decimal(raw)
    except InvalidOperation:
        return None
    return value if value > 0 else None


def _negated(text, start):
    window = text[max(0, start - 18):start]
    return bool(re.search(r"\b(no|nunca|todavia no|aun no|not|never|haven'?t)\s+(he |hemos |"
                          r"le |lo |la |me |se )?$", window))


def detect_intent(text, today, payload=None):
    if payload:
        code, _sep, reference = str(payload).partition(":")
        intent = QUICK_REPLY_PAYLOADS.get(code.strip().upper())
        if intent:
            date = parse_promise_date(text or "", today) if intent == "promise" else None
            return IntentResult(intent, 1.0, (f"payload:{code.strip().upper()}",),
                                promise_date=date, reference=reference or None)
    raw = text or ""
    t = normalize(raw)
    frustration = bool(re.search(FRUSTRATION, t)) or (
        sum(1 for c in raw if c.isupper()) > 12 and raw.count("!") >= 2)
    if not t:
        thumbs = any(ch in raw for ch in ("👍", "🙏", "👌", "✅", "🙂", "😊"))
        return IntentResult("thanks" if thumbs else "unknown", 0.7 if thumbs else 0.0,
                            ("emoji",) if thumbs else (), needs_person=not thumbs)
    scores = dict.fromkeys(INTENTS, 0.0)
    evidence = {intent: [] for intent in INTENTS}
    for intent, weight, pattern in RULES:
        for match in re.finditer(pattern, t):
            if intent in ("paid", "promise") and _negated(t, match.start()):
                if intent == "promise":
                    scores["plan"] += 1.0
                    evidence["plan"].append(f"no {match.group(0)}")
                continue
            scores[intent] += weight
            evidence[intent].append(match.group(0).strip())
            break
    if scores["paid"] and scores["promise"] and re.search(r"\bya\b", t):
        scores["promise"] = 0.0  # "ya pagué el viernes": a past payment, not a promise
    if scores["thanks"] and any(scores[i] for i in INTENTS if i not in ("thanks", "unknown")):
        scores["thanks"] = 0.0
    ranked = sorted(((s, i) for i, s in scores.items() if s > 0), reverse=True)
    if not ranked:
        return IntentResult("unknown", 0.0, (), needs_person=True, frustration=frustration)
    best_score, best = ranked[0]
    second = ranked[1][0] if len(ranked) > 1 else 0.0
    confidence = round(min(1.0, best_score / 3.0) * (1 - second / (best_score + second)) * 2
                       if second else min(1.0, best_score / 3.0 + 0.2), 2)
    confidence = max(0.0, min(1.0, confidence))
    date = parse_promise_date(raw, today) if best == "promise" else None
    if best == "promise" and not date:
        confidence = min(confidence, 0.65)
    amount = parse_amount(raw) if best in ("promise", "paid", "plan") else None
    ambiguous = bool(second) and second >= best_score * 0.8 and ranked[1][1] != "thanks"
    needs_person = frustration or ambiguous or confidence < LOW_CONFIDENCE
    return IntentResult(best, confidence, tuple(evidence[best]), promise_date=date,
                        amount=amount, needs_person=needs_person, frustration=frustration)
