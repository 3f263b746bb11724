"""Intent rules against replies written the way customers write them, without a database.

How the tables were made, so the figures they produce can be trusted:

* ``SPANISH_CASES`` and ``ENGLISH_CASES`` were written as customers reply to a payment
  reminder (typos, no accents, emojis, voseo, Peruvian, Mexican, Colombian, Chilean,
  Argentinian and Spanish wording) before the current rules existed; the previous rules
  read 196 of their first 265 right (74%). The rules were then written against them, so
  their score here measures coverage, not generalisation.
* Two batches were then written fresh and run once before any rule saw them: 44 of 53
  right (83%), then 53 of 61 (87%). The rules were widened on their misses and both
  batches joined the tables.
* ``HELD_OUT`` was written after the last rule change and is never tuned on: its score is
  the honest estimate for replies the rules have not seen. Add new misses to the tables
  only together with a fresh held-out set.
"""

import collections
import datetime
import logging
from decimal import Decimal

from odoo.addons.cobranza_whatsapp.tools import intent
from odoo.tests import BaseCase, tagged

_logger = logging.getLogger(__name__)

TODAY = datetime.date(2026, 11, 18)  # a Wednesday

SPANISH_CASES = [
    # paid
    ('ya pagué', 'paid'),
    ('Ya le pagué señorita, buen día', 'paid'),
    ('ya yapeé 🙌', 'paid'),
    ('yapeé hace 5 minutos', 'paid'),
    ('ya le hice el plin', 'paid'),
    ('Buenas tardes, ya cancelé la factura F001-2345', 'paid'),
    ('te mando el voucher 👇', 'paid'),
    ('Adjunto comprobante de pago', 'paid'),
    ('ya transferí ayer en la noche', 'paid'),
    ('ya le hice el depósito en el Oxxo', 'paid'),
    ('ya quedó pagado, revisen porfa', 'paid'),
    ('pagué el lunes en el banco', 'paid'),
    ('Ya realicé la transferencia, favor de confirmar', 'paid'),
    ('eso ya está pagado desde la semana pasada', 'paid'),
    ('ya se canceló todo', 'paid'),
    ('hice el pago por la app del BCP', 'paid'),
    ('ya pagamos, les mandé la constancia al correo', 'paid'),
    ('ya abone 500 soles', 'paid'),
    ('ya deposité en su cuenta del BBVA', 'paid'),
    ('listo ya pague 👍', 'paid'),
    ('ya está, le envié la captura', 'paid'),
    ('le acabo de transferir', 'paid'),
    ('ya le mandé la lana por transferencia', 'paid'),
    ('ya pague x yape', 'paid'),
    ('ya hice la consignación', 'paid'),
    ('ya le consigné a la cuenta de Bancolombia', 'paid'),
    ('ya te hice la transferencia, fijate', 'paid'),
    ('ya pagué por nequi', 'paid'),
    ('Ya está hecha la transferencia', 'paid'),
    ('ya realicé el pago el día de ayer', 'paid'),
    ('pague hoy en la mañana', 'paid'),
    ('aquí está el comprobante', 'paid'),
    ('ahí le va el comprobante 🧾', 'paid'),
    ('ya te pagué la luca que faltaba', 'paid'),
    ('ya se hizo el pago en agente BCP', 'paid'),
    ('ya deposite los 1,250.50', 'paid'),
    ('transferencia realizada ✅', 'paid'),
    ('pago realizado', 'paid'),
    ('YA PAGUE', 'paid'),
    ('ya cancelé, el número de operación es 0045123', 'paid'),
    ('ya esta pagadoo', 'paid'),
    ('te hice la transferencia recién', 'paid'),
    ('ya le pagué a su vendedor en efectivo', 'paid'),
    ('mi esposo ya pagó ayer', 'paid'),
    ('el pago ya se hizo', 'paid'),
    ('ya está depositado', 'paid'),
    ('ya le pague todo, ya no debo nada', 'paid'),
    ('Señorita ya pagué hace rato, revise bien', 'paid'),
    ('buenas, ya realice el deposito de 350 soles a su cuenta bcp', 'paid'),
    ('Ya está. Le mandé foto del voucher por el otro número', 'paid'),
    ('hola si ya pague el dia viernes', 'paid'),
    ('ya se le deposito señorita', 'paid'),
    ('pagado', 'paid'),
    ('ya lo cancelé hace 2 días, verifique', 'paid'),
    ('le transferí los 1.500 pesos', 'paid'),
    ('mande el comprobante a su correo', 'paid'),
    ('ya salde la deuda', 'paid'),
    ('ya pagué con tarjeta en su página', 'paid'),
    ('esa factura ya la pagué hace meses, revisen', 'paid'),
    ('ya te transferí por mercado pago che', 'paid'),
    ('Le hice un bizum esta mañana', 'paid'),
    ('ya les consigné por daviplata, les cuento', 'paid'),
    ('ya está pagado po, revisa', 'paid'),
    ('ya abonamos el total a su cuenta', 'paid'),
    ('deposité ayer en la tarde en el agente', 'paid'),
    ('ya pagué desde hace una semana!', 'paid'),
    ('listo señorita, ya se hizo la transferencia', 'paid'),
    ('ahí te mandé la captura del plin', 'paid'),
    ('mi hija ya le yapeó hoy', 'paid'),
    ('pago efectuado, favor revisar', 'paid'),
    ('ya lo pagué en el Oxxo, aquí el ticket', 'paid'),
    # promise
    ('mañana le pago', 'promise'),
    ('mñn le deposito sin falta', 'promise'),
    ('el viernes le pago', 'promise'),
    ('el 15 le deposito', 'promise'),
    ('a fin de mes le cancelo', 'promise'),
    ('le pago la otra semana', 'promise'),
    ('cuando me paguen el 30 le cancelo todo', 'promise'),
    ('al toque le yapeo', 'promise'),
    ('el lunes sin falta', 'promise'),
    ('pasado mañana le pago', 'promise'),
    ('a la quincena le pago', 'promise'),
    ('le deposito el 5 de diciembre', 'promise'),
    ('en 3 dias le pago', 'promise'),
    ('hoy en la tarde le pago', 'promise'),
    ('el sábado le abono', 'promise'),
    ('le prometo que el martes pago', 'promise'),
    ('ahorita en la tarde le deposito', 'promise'),
    ('el proximo mes le pago', 'promise'),
    ('el lunes le hago el depósito', 'promise'),
    ('esta semana le pago', 'promise'),
    ('para el viernes le tengo el dinero', 'promise'),
    ('deme hasta el viernes porfa', 'promise'),
    ('el 30 cobro y le pago', 'promise'),
    ('apenas me paguen le deposito', 'promise'),
    ('en cuanto cobre la quincena le pago', 'promise'),
    ('mañana temprano paso al banco', 'promise'),
    ('el lunes voy al Oxxo a pagar', 'promise'),
    ('mañana te transfiero, dale?', 'promise'),
    ('te pago el finde', 'promise'),
    ('la próxima semana le cancelo', 'promise'),
    ('este viernes sin falta', 'promise'),
    ('dentro de 2 días le pago', 'promise'),
    ('le pago el 15/12', 'promise'),
    ('mañana a primera hora le yapeo', 'promise'),
    ('el 1ro le pago', 'promise'),
    ('a principios de mes le pago', 'promise'),
    ('ok, mañana pago', 'promise'),
    ('Disculpe la demora, el lunes le cancelo', 'promise'),
    ('ahorita no puedo pero el viernes le pago', 'promise'),
    ('todavía no he pagado pero mañana sin falta', 'promise'),
    ('hoy no alcanzo, mañana le deposito', 'promise'),
    ('ya mañana le pago', 'promise'),
    ('el martes le mando el pago', 'promise'),
    ('lo pago cuando me depositen mi sueldo', 'promise'),
    ('mañana le pago los 500 soles', 'promise'),
    ('le voy a pagar el 20', 'promise'),
    ('para fin de mes le tengo la plata', 'promise'),
    ('ya casi, el miércoles le pago', 'promise'),
    ('el viernes sin falta le deposito señorita', 'promise'),
    ('mañana en la mañana le hago la transferencia', 'promise'),
    ('le pago ahorita en la noche', 'promise'),
    ('dejeme hasta el sabado porfa', 'promise'),
    ('espéreme a la quincena', 'promise'),
    ('la otra semana le pago sin falta', 'promise'),
    ('el 10 de diciembre cancelo', 'promise'),
    ('hoy mismo le deposito', 'promise'),
    ('mañana le paso la plata', 'promise'),
    ('te pago el lunes, tranqui', 'promise'),
    ('le pago en cuanto me llegue el sueldo el viernes', 'promise'),
    ('el lunes a primera hora le transfiero', 'promise'),
    ('para el 30 le cancelo sin falta', 'promise'),
    ('al rato le deposito', 'promise'),
    ('mañana sin falta le yapeo', 'promise'),
    ('pasado mañana le hago el plin', 'promise'),
    ('el 5 me pagan y le deposito', 'promise'),
    ('esta semana le hago el pago', 'promise'),
    ('te transfiero el finde, dale?', 'promise'),
    ('a fin de mes le pago todo', 'promise'),
    ('órale, el viernes le deposito', 'promise'),
    ('le pago al tiro cuando llegue a la casa', 'promise'),
    # plan
    ('no puedo pagar todo junto', 'plan'),
    ('me pueden dar facilidades?', 'plan'),
    ('puedo pagar en cuotas?', 'plan'),
    ('necesito un plan de pagos', 'plan'),
    ('ahorita no tengo plata', 'plan'),
    ('no me alcanza para pagar todo', 'plan'),
    ('se puede fraccionar la deuda?', 'plan'),
    ('le puedo ir pagando por partes', 'plan'),
    ('estoy sin chamba, no tengo como pagar', 'plan'),
    ('puedo dar abonos semanales?', 'plan'),
    ('no tengo lana ahorita 😔', 'plan'),
    ('me da chance de pagar de a poquito?', 'plan'),
    ('no puedo pagar el total, solo una parte', 'plan'),
    ('pagaría poco a poco', 'plan'),
    ('le puedo pagar la mitad ahora y la otra mitad el otro mes', 'plan'),
    ('puedo pagar 200 ahora y el resto después?', 'plan'),
    ('podemos hacer un convenio de pago?', 'plan'),
    ('me pueden dar más plazo? estoy corto de plata', 'plan'),
    ('puedo pagar en dos partes?', 'plan'),
    ('ando bien apretado, puedo abonar algo?', 'plan'),
    ('la situación está difícil, podemos llegar a un acuerdo?', 'plan'),
    ('se puede pagar a meses?', 'plan'),
    ('me podés dar cuotas?', 'plan'),
    ('ahora no tengo ni una luca', 'plan'),
    ('me quedé sin trabajo, no sé cuándo podré pagar todo', 'plan'),
    ('no puedo cancelar todo de golpe', 'plan'),
    ('le puedo ir dando de a 100 por semana?', 'plan'),
    ('es mucho, no puedo pagarlo de una vez', 'plan'),
    ('podría refinanciar la deuda?', 'plan'),
    ('estoy sin trabajo, le pago de a poco', 'plan'),
    ('disculpe, estoy sin trabajo, podría pagar en partes?', 'plan'),
    ('no me da para pagar todo este mes', 'plan'),
    ('puedo pagar una parte ahora?', 'plan'),
    ('me podrían dar un descuento o pagar a plazos?', 'plan'),
    ('estoy muy mal de plata, denme tiempo', 'plan'),
    ('la cosa está dura, no tengo para pagar', 'plan'),
    ('puedo ir pagando cada quincena?', 'plan'),
    ('no tengo todo el dinero', 'plan'),
    ('podría pagar la mitad este mes y la mitad el próximo?', 'plan'),
    ('no tengo la plata completa, ¿puedo pagar de a partes?', 'plan'),
    ('la verdad estoy sin chamba, me pueden dar chance?', 'plan'),
    ('podemos negociar la deuda?', 'plan'),
    ('solo puedo pagar 100 soles al mes', 'plan'),
    ('no me alcanza la plata este mes', 'plan'),
    ('está difícil pagar todo, se puede en cuotas sin intereses?', 'plan'),
    # dispute
    ('esa factura está mal', 'dispute'),
    ('no reconozco ese cobro', 'dispute'),
    ('el monto no es correcto', 'dispute'),
    ('esa factura no es mía', 'dispute'),
    ('nunca recibí el producto', 'dispute'),
    ('me cobraron doble', 'dispute'),
    ('ya la habia pagado y me la vuelven a cobrar', 'dispute'),
    ('falta la nota de crédito que me prometieron', 'dispute'),
    ('quiero hacer un reclamo', 'dispute'),
    ('el producto llegó fallado, no voy a pagar', 'dispute'),
    ('no pedí eso', 'dispute'),
    ('hay un error en la factura', 'dispute'),
    ('la factura está mal emitida, el RUC está mal', 'dispute'),
    ('ese monto no corresponde', 'dispute'),
    ('me están cobrando de más', 'dispute'),
    ('eso no lo debo', 'dispute'),
    ('yo no compré nada con ustedes', 'dispute'),
    ('la mercadería vino incompleta', 'dispute'),
    ('el precio no es el que acordamos', 'dispute'),
    ('esa factura ya fue anulada', 'dispute'),
    ('me facturaron a otra razón social', 'dispute'),
    ('no estoy de acuerdo con ese cobro', 'dispute'),
    ('el servicio nunca se hizo', 'dispute'),
    ('esa deuda no existe', 'dispute'),
    ('ya devolví el pedido, por qué me cobran?', 'dispute'),
    ('me cobran intereses que no corresponden', 'dispute'),
    ('no me corresponde pagar eso', 'dispute'),
    ('el pedido llegó incompleto y me quieren cobrar todo', 'dispute'),
    ('yo cancelé el servicio hace meses', 'dispute'),
    ('esta factura tiene un monto equivocado', 'dispute'),
    ('ese cobro es un abuso', 'dispute'),
    ('esa factura no la reconozco', 'dispute'),
    ('me están cobrando algo que ya devolví', 'dispute'),
    ('los productos llegaron dañados, no pienso pagar', 'dispute'),
    ('ese monto está mal, era menos', 'dispute'),
    ('les pedí la nota de crédito hace un mes', 'dispute'),
    ('nunca firmé ningún contrato con ustedes', 'dispute'),
    # person
    ('quiero hablar con alguien', 'person'),
    ('llámenme por favor', 'person'),
    ('me pueden llamar?', 'person'),
    ('necesito hablar con un asesor', 'person'),
    ('pásame con una persona', 'person'),
    ('quiero hablar con el encargado', 'person'),
    ('comuníquenme con un ejecutivo', 'person'),
    ('prefiero que me llamen', 'person'),
    ('contáctenme al fijo', 'person'),
    ('¿hay alguien con quien pueda hablar?', 'person'),
    ('me puede llamar mi vendedor?', 'person'),
    ('necesito hablar con contabilidad', 'person'),
    ('pasame con un humano', 'person'),
    ('quisiera que me atienda una persona', 'person'),
    ('llamame al cel', 'person'),
    ('eres un robot?', 'person'),
    ('márquenme al 987654321', 'person'),
    ('me puede llamar un asesor por favor', 'person'),
    ('prefiero hablarlo por teléfono', 'person'),
    ('quién me puede atender?', 'person'),
    ('necesito que alguien me llame', 'person'),
    ('quiero hablar con alguien de cobranzas', 'person'),
    ('llámeme en la tarde por favor', 'person'),
    ('necesito que me atienda un humano', 'person'),
    ('me comunica con su supervisor?', 'person'),
    # stop
    ('STOP', 'stop'),
    ('stop', 'stop'),
    ('no me escriban más', 'stop'),
    ('dejen de escribirme', 'stop'),
    ('no quiero recibir mensajes', 'stop'),
    ('BAJA', 'stop'),
    ('dejen de molestar por favor', 'stop'),
    ('no me manden más mensajes', 'stop'),
    ('borrenme de su lista', 'stop'),
    ('no quiero que me escriban por aquí', 'stop'),
    ('no me contacten por whatsapp', 'stop'),
    ('ya no me manden nada', 'stop'),
    ('no vuelvan a escribirme', 'stop'),
    ('denme de baja', 'stop'),
    ('no me escribas más', 'stop'),
    ('no me interesa, no escriban', 'stop'),
    ('no quiero más mensajes', 'stop'),
    ('por favor ya no me escriban', 'stop'),
    ('elimínenme de esta lista', 'stop'),
    ('basta de mensajes', 'stop'),
    ('no me escriban a este número', 'stop'),
    ('sáquenme de su lista de difusión', 'stop'),
    ('ya no me envíen más mensajes', 'stop'),
    ('STOP por favor', 'stop'),
    # thanks
    ('gracias', 'thanks'),
    ('ok', 'thanks'),
    ('okk gracias', 'thanks'),
    ('👍', 'thanks'),
    ('🙏', 'thanks'),
    ('de acuerdo', 'thanks'),
    ('recibido', 'thanks'),
    ('listo', 'thanks'),
    ('muchas gracias 😊', 'thanks'),
    ('entendido', 'thanks'),
    ('vale', 'thanks'),
    ('perfecto', 'thanks'),
    ('oki doki', 'thanks'),
    ('ok, gracias por avisar', 'thanks'),
    ('dale', 'thanks'),
    ('sale', 'thanks'),
    ('ok 👌', 'thanks'),
    ('gracias por el recordatorio', 'thanks'),
    ('muy amable', 'thanks'),
    ('ya vi, gracias', 'thanks'),
    ('bueno', 'thanks'),
    ('okas', 'thanks'),
    ('va, gracias', 'thanks'),
    ('Recibido, saludos', 'thanks'),
    ('👌👌', 'thanks'),
    ('gracias, que tenga buen día', 'thanks'),
    ('listo joven', 'thanks'),
    ('ok gracias, lo tengo en cuenta', 'thanks'),
    ('ya, gracias', 'thanks'),
    ('👍🏻', 'thanks'),
    ('muchas gracias por la info', 'thanks'),
    ('ok, gracias!', 'thanks'),
    ('vale, gracias', 'thanks'),
    ('muchísimas gracias', 'thanks'),
    ('recibido 👍', 'thanks'),
    ('perfecto, gracias por avisar', 'thanks'),
    # unknown
    ('hola', 'unknown'),
    ('buenas tardes', 'unknown'),
    ('quién es?', 'unknown'),
    ('de qué empresa me escriben?', 'unknown'),
    ('??', 'unknown'),
    ('me pasan el número de cuenta?', 'how_to_pay'),
    ('cuánto debo?', 'balance'),
    ('🤔', 'unknown'),
    ('aló', 'unknown'),
    ('en qué banco deposito?', 'how_to_pay'),
    ('qué factura?', 'unknown'),
    ('buen día', 'unknown'),
    ('cuál es mi saldo?', 'balance'),
    ('me mandan la factura en pdf?', 'invoice_copy'),
    ('a nombre de quién deposito?', 'how_to_pay'),
    ('se puede pagar con tarjeta?', 'how_to_pay'),
    ('cuál es el CCI?', 'how_to_pay'),
    ('hola, quién habla?', 'unknown'),
    ('no entiendo', 'unknown'),
    ('?', 'unknown'),
    ('Buenas noches', 'unknown'),
    ('¿Cómo puedo pagar?', 'how_to_pay'),
    ('me pueden mandar el estado de cuenta?', 'balance'),
    ('ya les escribo', 'unknown'),
    ('sí', 'unknown'),
    ('a qué número yapeo?', 'how_to_pay'),
    ('de que es esto?', 'unknown'),
    ('me equivoqué de chat', 'unknown'),
    ('cómo saco mi estado de cuenta', 'balance'),
    ('buenos días', 'unknown'),
    ('hola, buenas tardes', 'unknown'),
    ('de dónde me escriben?', 'unknown'),
    ('cuánto es el total?', 'balance'),
    ('tienen yape?', 'how_to_pay'),
    ('me mandan el número de cuenta por favor', 'how_to_pay'),
]

ENGLISH_CASES = [
    # paid
    ('I already paid', 'paid'),
    ('paid yesterday, check your account', 'paid'),
    ('payment sent this morning', 'paid'),
    ("I made the transfer, here's the receipt", 'paid'),
    ('we paid it last week', 'paid'),
    ('I paid it on monday', 'paid'),
    # promise
    ("I'll pay on Friday", 'promise'),
    ('will pay tomorrow', 'promise'),
    ('I will transfer the money next week', 'promise'),
    ("I'll send the payment at the end of the month", 'promise'),
    ('can pay in 3 days', 'promise'),
    ("I'll transfer it tomorrow morning", 'promise'),
    ('I will pay next Monday', 'promise'),
    # plan
    ('can I pay in instalments?', 'plan'),
    ("I can't pay it all at once", 'plan'),
    ('is a payment plan possible?', 'plan'),
    ('I lost my job, can we do a payment plan?', 'plan'),
    # dispute
    ('wrong amount on this invoice', 'dispute'),
    ('I never received the goods', 'dispute'),
    ('this invoice is not ours', 'dispute'),
    ('the invoice amount is wrong', 'dispute'),
    # person
    ('call me please', 'person'),
    ('I want to talk to a person', 'person'),
    ('can someone call me?', 'person'),
    ('can I speak to someone?', 'person'),
    # stop
    ('unsubscribe', 'stop'),
    ('stop texting me', 'stop'),
    ("don't message me again", 'stop'),
    ('please stop messaging me', 'stop'),
    # thanks
    ('thanks', 'thanks'),
    ('ok thank you', 'thanks'),
    ('got it', 'thanks'),
    ('thank you!', 'thanks'),
    # unknown
    ('who is this?', 'unknown'),
    ('how much do I owe?', 'balance'),
    ('what is this about?', 'unknown'),
]

# Written after the last rule change; never tuned on (see the module docstring).
HELD_OUT = [
    # paid
    ('buenas, le comento que ya realicé el pago correspondiente', 'paid'),
    ('Ya se les pagó, chequen su cuenta', 'paid'),
    ('ya pague la factura de octubre', 'paid'),
    ('le envié el comprobante por correo hace rato', 'paid'),
    ('hace una hora hice la transferencia', 'paid'),
    ('pague todo ayer', 'paid'),
    ('payment done ✅', 'paid'),
    ('ya te yapié causa', 'paid'),
    # promise
    ('mañana cancelo la deuda', 'promise'),
    ('el jueves sin falta le pago', 'promise'),
    ('le deposito apenas cobre el viernes', 'promise'),
    ('hoy en la noche le transfiero', 'promise'),
    ('dentro de una semana le pago', 'promise'),
    ('pago el 30 sin falta', 'promise'),
    ('el otro lunes le cancelo', 'promise'),
    ("I'll pay it by the end of the week", 'promise'),
    # plan
    ('no tengo dinero ahora, ¿puedo pagar en 3 partes?', 'plan'),
    ('se podrá pagar en dos cuotas?', 'plan'),
    ('ahorita ando sin lana, puedo abonar poco a poco?', 'plan'),
    ('no puedo pagar los 2 mil de un solo golpe', 'plan'),
    ('me pueden dar un mes más de plazo?', 'plan'),
    ('can I split it into two payments?', 'plan'),
    # dispute
    ('ese cobro no procede', 'dispute'),
    ('esto ya lo había pagado, por qué me cobran de nuevo?', 'dispute'),
    ('la factura tiene un error en el precio', 'dispute'),
    ('me llegó roto el equipo, no pago hasta que lo cambien', 'dispute'),
    ('yo no tengo deudas con ustedes', 'dispute'),
    # person
    ('quiero hablar con una persona real', 'person'),
    ('me pueden llamar al celular?', 'person'),
    ('necesito comunicarme con el área de cobranzas', 'person'),
    ("I'd like to speak with a person", 'person'),
    # stop
    ('no me manden mensajes por favor', 'stop'),
    ('dejen de enviarme recordatorios', 'stop'),
    ('quiero darme de baja', 'stop'),
    ('Stop!', 'stop'),
    # thanks
    ('ok muchas gracias', 'thanks'),
    ('bueno gracias', 'thanks'),
    ('entendido, gracias', 'thanks'),
    ('👍👍', 'thanks'),
    ('noted, thanks', 'thanks'),
    # unknown
    ('buenas', 'unknown'),
    ('quién es usted?', 'unknown'),
    ('me pueden enviar la factura?', 'invoice_copy'),
    ('a qué cuenta deposito?', 'how_to_pay'),
    ('cuanto le debo?', 'balance'),
]

CASES = SPANISH_CASES + ENGLISH_CASES


def accuracy(cases, today=TODAY):
    """Per intent (right, total), and the misses with what was read instead."""
    tally = collections.defaultdict(lambda: [0, 0])
    misses = []
    for text, expected in cases:
        result = intent.detect_intent(text, today)
        tally[expected][1] += 1
        if result.intent == expected:
            tally[expected][0] += 1
        else:
            misses.append((text, expected, result))
    return dict(tally), misses


def report(title, tally, misses):
    """The table the README quotes."""
    right = sum(r for r, _t in tally.values())
    total = sum(t for _r, t in tally.values())
    lines = [title, f"{'intent':8} {'right':>5}/{'all':<4} {'share':>6}"]
    lines += [f"{name:8} {r:5}/{t:<4} {r / t:6.1%}"
              for name, (r, t) in sorted(tally.items(), key=lambda i: intent.INTENTS.index(i[0]))]
    lines.append(f"{'overall':8} {right:5}/{total:<4} {right / total:6.1%}")
    lines += [f"miss: {text!r} expected {expected}, read {result.intent} "
              f"({result.confidence:.2f}, person={result.needs_person})"
              for text, expected, result in misses]
    return right / total, "\n".join(lines)


@tagged("post_install", "-at_install")
class TestIntentTables(BaseCase):
    def test_tables_are_what_the_readme_says(self):
        self.assertGreaterEqual(len(SPANISH_CASES), 120)
        self.assertGreaterEqual(len(ENGLISH_CASES), 15)
        self.assertEqual(len(CASES), len(set(CASES)), "a reply listed twice")
        self.assertEqual({expected for _text, expected in CASES}, set(intent.INTENTS))
        self.assertFalse(set(CASES) & set(HELD_OUT), "the held-out set leaked into the tables")

    def test_accuracy_per_intent(self):
        tally, misses = accuracy(CASES)
        overall, text = report("Replies understood (tables)", tally, misses)
        _logger.info("%s", text)
        self.assertGreaterEqual(overall, 0.90, text)
        for name, (right, total) in tally.items():
            self.assertGreaterEqual(right / total, 0.80, f"{name}\n{text}")

    def test_accuracy_on_replies_never_tuned_on(self):
        tally, misses = accuracy(HELD_OUT)
        overall, text = report("Replies understood (held out)", tally, misses)
        _logger.info("%s", text)
        # Measured 39/45 (86.7%) when written; the floor only catches a regression.
        self.assertGreaterEqual(overall, 0.80, text)
        # What the rules misread must reach a person, never be acted on by itself.
        acted = [(t, e, r.intent) for t, e, r in misses if not r.needs_person]
        self.assertEqual(acted, [], text)

    def test_every_result_is_well_formed(self):
        for text, _expected in CASES + HELD_OUT:
            result = intent.detect_intent(text, TODAY)
            self.assertIn(result.intent, intent.INTENTS, text)
            self.assertTrue(0.0 <= result.confidence <= 1.0, text)
            self.assertIsInstance(result.evidence, tuple, text)
            if result.intent not in ("unknown", "thanks"):
                self.assertTrue(result.evidence, f"{text!r}: a decision without a reason")
            if result.intent == "unknown" or result.confidence < intent.LOW_CONFIDENCE:
                self.assertTrue(result.needs_person, text)


@tagged("post_install", "-at_install")
class TestQuickReplies(BaseCase):
    def test_payload_decides_and_carries_the_invoice(self):
        result = intent.detect_intent("Ya pagué", TODAY, payload="PAID:INV/2026/00042")
        self.assertEqual(
            (result.intent, result.confidence, result.evidence, result.reference,
             result.needs_person),
            ("paid", 1.0, ("payload:PAID",), "INV/2026/00042", False))

    def test_payload_without_reference(self):
        result = intent.detect_intent("", TODAY, payload="PLAN")
        self.assertEqual((result.intent, result.reference), ("plan", None))

    def test_the_plan_offers_own_answer_typed(self):
        """The plan offer asks to reply «Necesito un plan»: typed, it is a plan request."""
        for text in ("Necesito un plan", "necesito un plan porfa", "Quiero un plan",
                     "me pueden dar un plan?"):
            with self.subTest(text=text):
                self.assertEqual(intent.detect_intent(text, TODAY).intent, "plan")
        self.assertNotEqual(intent.detect_intent("ya tengo un plan para pagar el viernes",
                                                 TODAY).intent, "plan")

    def test_every_payload_maps(self):
        for code, expected in intent.QUICK_REPLY_PAYLOADS.items():
            result = intent.detect_intent("whatever the button says", TODAY, payload=f"{code}:X")
            self.assertEqual((result.intent, result.reference), (expected, "X"), code)

    def test_payload_overrides_the_words(self):
        result = intent.detect_intent("gracias", TODAY, payload="stop")
        self.assertEqual(result.intent, "stop")

    def test_reference_keeps_later_colons(self):
        result = intent.detect_intent("", TODAY, payload="DISPUTE:INV:7")
        self.assertEqual(result.reference, "INV:7")

    def test_promise_button_reads_the_date_in_the_text(self):
        result = intent.detect_intent("el viernes", TODAY, payload="PROMISE:INV/1")
        self.assertEqual((result.intent, result.promise_date),
                         ("promise", datetime.date(2026, 11, 20)))

    def test_unknown_payload_falls_back_to_the_text(self):
        result = intent.detect_intent("gracias", TODAY, payload="WHATEVER:INV/1")
        self.assertEqual((result.intent, result.reference), ("thanks", None))
        self.assertNotIn("payload:WHATEVER", result.evidence)


@tagged("post_install", "-at_install")
class TestPromiseDates(BaseCase):
    def assertDates(self, cases, today=TODAY):
        for text, expected in cases:
            with self.subTest(text=text, today=today):
                self.assertEqual(intent.parse_promise_date(text, today), expected)

    def test_relative_days(self):
        self.assertDates([
            ("hoy le pago", datetime.date(2026, 11, 18)),
            ("ahorita le deposito", datetime.date(2026, 11, 18)),
            ("al toque le yapeo", datetime.date(2026, 11, 18)),
            ("mañana le pago", datetime.date(2026, 11, 19)),
            ("mñn le deposito", datetime.date(2026, 11, 19)),
            ("pasado mañana", datetime.date(2026, 11, 20)),
            ("en 3 días", datetime.date(2026, 11, 21)),
            ("en tres dias", datetime.date(2026, 11, 21)),
            ("dentro de una semana", datetime.date(2026, 11, 25)),
            ("tomorrow", datetime.date(2026, 11, 19)),
            ("in 3 days", datetime.date(2026, 11, 21)),
        ])

    def test_morning_is_not_tomorrow(self):
        self.assertDates([
            ("hoy en la mañana", datetime.date(2026, 11, 18)),
            ("mañana en la mañana", datetime.date(2026, 11, 19)),
            ("en la mañana", None),
        ])

    def test_weekdays_are_the_next_one_strictly_after_today(self):
        self.assertDates([
            ("el viernes", datetime.date(2026, 11, 20)),
            ("el lunes sin falta", datetime.date(2026, 11, 23)),
            ("el miércoles", datetime.date(2026, 11, 25)),  # today is Wednesday
            ("el viernes de la próxima semana", datetime.date(2026, 11, 27)),
            ("I'll pay on Friday", datetime.date(2026, 11, 20)),
        ])
        self.assertDates([("el viernes", datetime.date(2026, 11, 27))],
                         today=datetime.date(2026, 11, 20))

    def test_day_of_month(self):
        self.assertDates([
            ("el 25", datetime.date(2026, 11, 25)),
            ("el día 15", datetime.date(2026, 12, 15)),  # the 15th has passed
            ("cuando me paguen el 30", datetime.date(2026, 11, 30)),
            ("el 31", datetime.date(2026, 11, 30)),  # November has 30 days
            ("el 1ro", datetime.date(2026, 12, 1)),
            ("el primero", datetime.date(2026, 12, 1)),
            ("on the 15th", datetime.date(2026, 12, 15)),
        ])

    def test_calendar_dates(self):
        self.assertDates([
            ("15/12", datetime.date(2026, 12, 15)),
            ("15-12", datetime.date(2026, 12, 15)),
            ("15 de diciembre", datetime.date(2026, 12, 15)),
            ("el 10 de enero", datetime.date(2027, 1, 10)),  # passed this year
            ("10/01/2027", datetime.date(2027, 1, 10)),
            ("December 5", datetime.date(2026, 12, 5)),
            ("fines de diciembre", datetime.date(2026, 12, 31)),
        ])

    def test_periods(self):
        self.assertDates([
            ("a fin de mes", datetime.date(2026, 11, 30)),
            ("a la quincena", datetime.date(2026, 11, 30)),  # the 15th has passed
            ("la próxima semana", datetime.date(2026, 11, 23)),
            ("la semana que viene", datetime.date(2026, 11, 23)),
            ("la otra semana", datetime.date(2026, 11, 23)),
            ("esta semana", datetime.date(2026, 11, 20)),
            ("el finde", datetime.date(2026, 11, 21)),
            ("el próximo mes", datetime.date(2026, 12, intent.NEXT_MONTH_DAY)),
            ("el mes que viene", datetime.date(2026, 12, intent.NEXT_MONTH_DAY)),
            ("a principios de mes", datetime.date(2026, 12, intent.NEXT_MONTH_DAY)),
            ("next week", datetime.date(2026, 11, 23)),
            ("end of the month", datetime.date(2026, 11, 30)),
        ])
        self.assertDates([("a la quincena", datetime.date(2026, 11, 15))],
                         today=datetime.date(2026, 11, 10))

    def test_month_ends(self):
        jan31 = datetime.date(2027, 1, 31)
        self.assertDates([
            ("mañana", datetime.date(2027, 2, 1)),
            ("en 3 días", datetime.date(2027, 2, 3)),
            ("el 31", jan31),
            ("el 30", datetime.date(2027, 2, 28)),  # next month, clamped
            ("el 15", datetime.date(2027, 2, 15)),
            ("fin de mes", jan31),
            ("a la quincena", jan31),
            ("el próximo mes", datetime.date(2027, 2, intent.NEXT_MONTH_DAY)),
        ], today=jan31)
        self.assertDates([("el 31", datetime.date(2027, 2, 28))], today=datetime.date(2027, 2, 10))
        self.assertDates([("el 30", datetime.date(2028, 2, 29))], today=datetime.date(2028, 2, 10))
        self.assertDates([("el 30", datetime.date(2027, 3, 30))], today=datetime.date(2027, 2, 28))
        self.assertDates([("el 5", datetime.date(2027, 1, 5)),
                          ("el mes que viene", datetime.date(2027, 1, intent.NEXT_MONTH_DAY))],
                         today=datetime.date(2026, 12, 31))

    def test_no_date(self):
        self.assertDates([
            ("apenas me paguen", None),
            ("en unos días", None),
            ("el 50%", None),
            ("le pago el 32", None),
        ])

    def test_promise_result_carries_date_and_amount(self):
        result = intent.detect_intent("mañana le pago los 500 soles", TODAY)
        self.assertEqual((result.intent, result.promise_date, result.amount),
                         ("promise", datetime.date(2026, 11, 19), Decimal("500")))
        self.assertFalse(result.needs_person)


@tagged("post_install", "-at_install")
class TestAmounts(BaseCase):
    def test_formats(self):
        cases = [
            ("le deposito S/ 1,250.50", Decimal("1250.50")),
            ("S/.350", Decimal("350")),
            ("pago 1.250,50 €", Decimal("1250.50")),
            ("12,50 €", Decimal("12.50")),
            ("mando $1,250", Decimal("1250")),
            ("$1.250 pesos", Decimal("1250")),
            ("abono 500 soles", Decimal("500")),
            ("USD 1,000", Decimal("1000")),
            ("1.250.000 pesos", Decimal("1250000")),
            ("ya deposite los 1,250.50", Decimal("1250.50")),
            ("le pago 300 el viernes", Decimal("300")),
            ("no puedo pagar los 2 mil de golpe", Decimal("2000")),
        ]
        for text, expected in cases:
            self.assertEqual(intent.parse_amount(text), expected, text)

    def test_numbers_that_are_not_amounts(self):
        for text in ("le pago mañana", "el 15 le pago", "en 3 días", "le pago el 15/12",
                     "el número de operación es 0045123", "márquenme al 987654321",
                     "0 soles", ""):
            self.assertIsNone(intent.parse_amount(text), text)


@tagged("post_install", "-at_install")
class TestNegations(BaseCase):
    def test_not_paid(self):
        for text in ("no he pagado", "no he pagado todavía", "todavía no le deposito",
                     "aún no pago", "no tengo el voucher", "I haven't paid yet"):
            result = intent.detect_intent(text, TODAY)
            self.assertNotEqual(result.intent, "paid", text)
            self.assertTrue(result.needs_person, text)

    def test_cannot_pay_on_a_date_is_no_promise(self):
        for text in ("no puedo pagar mañana", "mañana no puedo", "I can't pay tomorrow"):
            result = intent.detect_intent(text, TODAY)
            self.assertIn(result.intent, ("plan", "unknown"), text)
            self.assertIsNone(result.promise_date, text)
            self.assertTrue(result.needs_person, text)

    def test_a_refusal_for_today_then_a_promise(self):
        for text in ("ahorita no puedo pero el viernes le pago",
                     "hoy no alcanzo, mañana le deposito",
                     "todavía no he pagado pero mañana sin falta"):
            self.assertEqual(intent.detect_intent(text, TODAY).intent, "promise", text)

    def test_no_then_a_statement(self):
        result = intent.detect_intent("no, ya pagué", TODAY)
        self.assertEqual(result.intent, "paid")
        self.assertEqual(intent.detect_intent("No. Mañana le pago", TODAY).intent, "promise")


@tagged("post_install", "-at_install")
class TestPeople(BaseCase):
    def test_frustration_goes_to_a_person(self):
        for text in ("YA LES DIJE QUE PAGUÉ!!! son unos estafadores",
                     "voy a poner una denuncia en indecopi",
                     "dejen de molestar por favor",
                     "ya pagué, cuántas veces tengo que decirlo",
                     "le paso el caso a mi abogado",
                     "ESTO ES UN ABUSO, NO PIENSO PAGAR!!",
                     "😡😡"):
            result = intent.detect_intent(text, TODAY)
            self.assertTrue(result.frustration, text)
            self.assertTrue(result.needs_person, text)
            self.assertTrue(any(e.startswith("frustration:") for e in result.evidence), text)

    def test_shouting_is_not_anger_by_itself(self):
        for text in ("YA PAGUE", "STOP", "Gracias!!!", "GRACIAS"):
            self.assertFalse(intent.detect_intent(text, TODAY).frustration, text)

    def test_low_confidence_goes_to_a_person(self):
        for text in ("mañana", "el viernes", "hola buenas", "apenas me paguen le deposito"):
            result = intent.detect_intent(text, TODAY)
            self.assertLess(result.confidence, intent.LOW_CONFIDENCE, text)
            self.assertTrue(result.needs_person, text)

    def test_an_undated_promise_is_still_a_promise(self):
        result = intent.detect_intent("lo pago cuando me depositen mi sueldo", TODAY)
        self.assertEqual((result.intent, result.promise_date), ("promise", None))
        self.assertTrue(result.needs_person)

    def test_two_readings_go_to_a_person(self):
        result = intent.detect_intent("ya la habia pagado y me la vuelven a cobrar", TODAY)
        self.assertEqual(result.intent, "dispute")
        self.assertTrue(result.needs_person)
        self.assertIn("ambiguous:paid", result.evidence)

    def test_clear_replies_are_acted_on(self):
        for text in ("ya pagué, adjunto voucher", "mañana le pago", "STOP",
                     "necesito un plan de pagos", "gracias", "👍"):
            self.assertFalse(intent.detect_intent(text, TODAY).needs_person, text)


@tagged("post_install", "-at_install")
class TestReading(BaseCase):
    def test_proof_raises_confidence(self):
        said = intent.detect_intent("ya pagué", TODAY)
        proved = intent.detect_intent("ya pagué, adjunto voucher", TODAY)
        self.assertEqual((said.intent, proved.intent), ("paid", "paid"))
        self.assertGreater(proved.confidence, said.confidence)

    def test_evidence_quotes_the_customer(self):
        result = intent.detect_intent("mñn le deposito sin falta", TODAY)
        self.assertEqual(result.evidence, ("le deposito", "mñn", "sin falta"))

    def test_cancelar_is_to_pay_a_bill_but_to_end_a_service(self):
        self.assertEqual(intent.detect_intent("ya cancelé la factura", TODAY).intent, "paid")
        self.assertEqual(intent.detect_intent("yo cancelé el servicio hace meses", TODAY).intent,
                         "dispute")

    def test_he_paid_is_not_i_pay(self):
        self.assertEqual(intent.detect_intent("mi esposo ya pagó ayer", TODAY).intent, "paid")
        self.assertEqual(intent.detect_intent("ya mañana le pago", TODAY).intent, "promise")

    def test_questions_about_paying_are_answered(self):
        """Read as the questions the automation answers (tests/test_self_service_intent.py
        has the rest); any other question stays for a person."""
        for text, expected in (("en qué banco deposito?", "how_to_pay"),
                               ("a qué número yapeo?", "how_to_pay"),
                               ("cuánto debo?", "balance")):
            result = intent.detect_intent(text, TODAY)
            self.assertEqual((result.intent, result.needs_person), (expected, False), text)
        for text in ("de qué es esto?", "qué factura?"):
            result = intent.detect_intent(text, TODAY)
            self.assertEqual((result.intent, result.needs_person), ("unknown", True), text)

    def test_empty_and_emoji_only(self):
        for text in (None, "", "  ", "??", "🤔"):
            result = intent.detect_intent(text, TODAY)
            self.assertEqual((result.intent, result.needs_person), ("unknown", True), text)
        for text in ("👍", "🙏", "👌", "👍🏽👍🏽"):
            result = intent.detect_intent(text, TODAY)
            self.assertEqual((result.intent, result.needs_person), ("thanks", False), text)

    def test_normalize(self):
        cases = {
            "Siiii, mañana le pagooo!!! 😀": "si manana le pago",
            "xq no me escriben? q paso": "porque no me escriben que paso",
            "ya pague x yape": "ya pague por yape",
            "mñn sin falta": "manana sin falta",
            "S/ 1,250.50 el 15/12": "s 1,250.50 el 15/12",
            "Graciaas, okk": "gracias ok",
            "I'll pay, can't wait": "i will pay cannot wait",
            "": "",
        }
        for text, expected in cases.items():
            self.assertEqual(intent.normalize(text), expected, text)
