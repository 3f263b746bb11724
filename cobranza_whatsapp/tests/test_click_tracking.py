"""Pay links tracked with Odoo's link_tracker: every channel sends a short URL that names
its message, a click on it is recorded on the message and the customer lands on the
invoice's portal page, and the dashboard's funnel counts sent, read, clicked and paid."""

import datetime
import re

import freezegun

from odoo import Command, fields
from odoo.addons.base.tests.common import new_test_user
from odoo.tests import BaseCase, HttpCase, tagged

from .. import uninstall_hook
from ..tools import click, kpi
from .common import NOW, GraphMockCase, LiveAccountCommon, render_pdfs_offline

D = datetime.date
T = datetime.datetime
PERIOD = (D(2026, 11, 1), D(2026, 11, 30))
BROWSER = {"User-Agent": "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 Chrome/126 "
                         "Mobile Safari/537.36"}
TRACKED_RE = re.compile(r"/r/([0-9A-Za-z]{12})/c/(\d+)")


@tagged("post_install", "-at_install")
class TestClickTools(BaseCase):
    """The pure parts: paths, the plain links found in a text, the URL buttons that take a
    tracked suffix, the funnel's rates."""

    def test_tracked_path_round_trip(self):
        path = click.tracked_path("AbCdEfGhIjKl", 42)
        self.assertEqual(path, "r/AbCdEfGhIjKl/c/42")
        self.assertEqual(click.parse_tracked_path("/" + path), ("AbCdEfGhIjKl", 42))
        self.assertIsNone(click.parse_tracked_path("my/invoices/42?access_token=x"))
        with self.assertRaises(ValueError):
            click.tracked_path("", 42)

    def test_codes_are_long_and_random(self):
        codes = {click.random_code() for _i in range(200)}
        self.assertEqual(len(codes), 200)
        self.assertTrue(all(len(code) == 12 and code.isalnum() for code in codes))

    def test_pay_links_found_and_replaced_whole(self):
        pay = "https://erp.example.com/my/invoices/7?access_token=3f2b-11aa"
        pdf = "https://erp.example.com/my/invoices/7?access_token=3f2b-11aa&report_type=pdf"
        text = f"Pay here: {pay}. PDF: {pdf} Again: {pay}"
        self.assertEqual(click.find_pay_links(text), [(pay, 7, "3f2b-11aa")])
        tracked = click.replace_links(text, {pay: "https://erp.example.com/r/X/c/1"})
        self.assertEqual(tracked.count("https://erp.example.com/r/X/c/1"), 2)
        self.assertIn(pdf, tracked, "a PDF download link is not a pay link")
        self.assertEqual(click.find_pay_links("https://erp.example.com/my/invoices"), [])

    def test_url_buttons_that_take_a_tracked_suffix(self):
        base = "https://erp.example.com"
        self.assertTrue(click.button_fits_tracked_suffix(False, base))
        self.assertTrue(click.button_fits_tracked_suffix("https://pay.example.com/{{1}}", base))
        self.assertFalse(click.button_fits_tracked_suffix("https://erp.example.com/my/{{1}}",
                                                          base))
        self.assertFalse(click.button_fits_tracked_suffix("https://erp.example.com{{1}}", base))
        self.assertFalse(click.button_fits_tracked_suffix("https://x.com/?p={{1}}", base))

    def test_funnel_rows(self):
        whatsapp = kpi.funnel_row("Overdue", "whatsapp", 4, 3, 2, 1)
        self.assertEqual((whatsapp.read_rate, whatsapp.click_rate, whatsapp.paid_rate),
                         (0.75, 0.5, 0.25))
        sms = kpi.funnel_row("Overdue", "sms", 2, 0, 1, 0)
        self.assertIsNone(sms.read, "SMS does not report reads")
        self.assertIsNone(sms.read_rate)
        total = kpi.funnel_total([whatsapp, sms], "All")
        self.assertEqual((total.sent, total.read, total.clicked, total.paid), (6, 3, 3, 1))
        self.assertEqual(total.read_rate, 0.75, "reads over the messages that can report them")
        self.assertEqual(total.click_rate, 0.5)
        self.assertIsNone(kpi.funnel_total([], "All").click_rate, "no data, not 0 %")


@tagged("post_install", "-at_install")
class TestUrlButtonParameter(GraphMockCase):
    """Meta refuses a URL button without its suffix: the mock does too."""

    def test_an_empty_url_button_suffix_is_refused(self):
        self.mock.approve_templates([{"name": "recordatorio", "body": "Hola {{1}}"}])
        payload = {"messaging_product": "whatsapp", "to": "51987654321", "type": "template",
                   "template": {"name": "recordatorio", "language": {"code": "es"},
                                "components": [
                                    {"type": "body", "parameters": [
                                        {"type": "text", "text": "María"}]},
                                    {"type": "button", "sub_type": "url", "index": "0",
                                     "parameters": [{"type": "text", "text": ""}]}]}}
        status, body = self.mock._send({"json": payload})
        self.assertEqual(status, 400)
        self.assertEqual(body["error"]["code"], 131008)
        payload["template"]["components"][1]["parameters"][0]["text"] = "r/AbCdEfGhIjKl/c/1"
        status, _body = self.mock._send({"json": payload})
        self.assertEqual(status, 200)


class ClickCommon(LiveAccountCommon, HttpCase):

    freeze_time = freezegun.freeze_time(NOW, tick=True)

    def send_reminder(self, partner=None, amount=1000.0):
        partner = partner or self.customer
        move = self._invoice(partner, amount, days_overdue=4)
        self.run_cadence()
        message = self.messages_for(partner).filtered(lambda m: m.move_ids == move)
        message.scheduled_at = fields.Datetime.now() - datetime.timedelta(minutes=1)
        self.env["cobranza.message"]._process_queue()
        self.assertEqual(message.state, "sent", message.error_message)
        return move, message

    def url_button_suffix(self):
        template = self.mock.sent_messages()[-1]["template"]
        button = next(c for c in template["components"]
                      if c["type"] == "button" and c["sub_type"] == "url")
        return button["parameters"][0]["text"]

    def open(self, path, method="GET", headers=None):
        response = self.url_open(path if path.startswith("/") else f"/{path}", method=method,
                                 headers=headers or BROWSER, allow_redirects=False)
        self.env.invalidate_all()
        return response


@tagged("post_install", "-at_install")
class TestClickTracking(ClickCommon):

    def test_a_whatsapp_reminder_carries_a_tracked_link_and_its_click_is_the_messages(self):
        move, message = self.send_reminder()
        suffix = self.url_button_suffix()
        code, message_id = click.parse_tracked_path(suffix)
        self.assertEqual(message_id, message.id)
        self.assertNotIn("access_token", suffix, "the token stays behind the short URL")
        tracker = self.env["link.tracker"].search([("cobranza_move_id", "=", move.id)])
        self.assertEqual(tracker.code, code)
        self.assertEqual(tracker.url, move._cobranza_pay_url())
        # The approved URL ``https://<host>/{{1}}`` with this suffix is the short URL.
        self.assertEqual(f"{move.get_base_url()}/{suffix}", move._cobranza_pay_url(message))
        self.assertEqual(message.click_count, 0)

        response = self.open(suffix)
        self.assertEqual(response.status_code, 302)
        self.assertEqual(response.headers["Location"], move._cobranza_pay_url())
        self.assertEqual(message.click_count, 1)
        self.assertTrue(message.clicked_at)
        clicks = self.env["link.tracker.click"].search([("link_id", "=", tracker.id)])
        self.assertEqual(clicks.cobranza_message_id, message)
        self.assertEqual(clicks.cobranza_company_id, self.company)
        self.assertEqual(tracker.count, 1)
        # Where the redirect goes, the customer sees the invoice without logging in.
        portal = self.url_open(f"/{move._cobranza_pay_path()}")
        self.assertEqual(portal.status_code, 200)
        self.assertIn(move.name, portal.text)
        # A second click counts as a click, the message stays one clicked message.
        self.open(suffix)
        self.assertEqual(message.click_count, 2)
        report = self.env["cobranza.message.report"].search([("message_id", "=", message.id)])
        self.assertEqual((report.clicked, report.click_count, report.click_rate), (1, 2, 100.0))

    def test_a_batch_makes_its_invoices_trackers_at_once_and_reuses_them(self):
        """The sender makes a batch's trackers together (one search, one create, one
        UPDATE of codes); a later send finds them."""
        moves = self.env["account.move"]
        for index in range(6):
            moves |= self._invoice(self.customer, 100.0 + index, days_overdue=4)
        moves._cobranza_ensure_tokens()
        with self.assertQueryCount(20):  # 13 measured; one at a time was 10 an invoice
            moves._cobranza_prefetch_pay_trackers()
        trackers = self.env["link.tracker"].search([("cobranza_move_id", "in", moves.ids)])
        self.assertEqual(len(trackers), 6)
        self.assertEqual(len(set(trackers.mapped("code"))), 6)
        self.assertTrue(all(len(code) == 12 for code in trackers.mapped("code")))
        self.assertEqual({t.url for t in trackers}, {m._cobranza_pay_url() for m in moves})
        moves._cobranza_prefetch_pay_trackers()
        self.assertEqual(self.env["link.tracker"].search_count(
            [("cobranza_move_id", "in", moves.ids)]), 6, "found again, not made twice")

    def test_previews_bots_and_head_requests_are_redirected_but_not_counted(self):
        move, message = self.send_reminder()
        suffix = self.url_button_suffix()
        for headers in ({"User-Agent": "WhatsApp/2.24.8.85 A"},
                        {"User-Agent": "facebookexternalhit/1.1"},
                        {"User-Agent": "Mozilla/5.0 (compatible; Googlebot/2.1)"}):
            response = self.open(suffix, headers=headers)
            self.assertEqual(response.status_code, 302, headers)
            self.assertEqual(response.headers["Location"], move._cobranza_pay_url())
        self.assertEqual(self.open(suffix, method="HEAD").status_code, 302)
        # A collector opening it from the invoice's chatter is not the customer.
        self.authenticate("collector", "collector")
        self.assertEqual(self.open(suffix).status_code, 302)
        self.assertEqual(message.click_count, 0)

    def test_an_edited_link_still_works_but_is_nobody_elses_click(self):
        move, message = self.send_reminder()
        other = self._customer("Jorge Ramos", "+51 912 345 678", self.pe)
        _other_move, other_message = self.send_reminder(other)
        code, _message_id = click.parse_tracked_path(
            move._cobranza_pay_path(message))
        response = self.open(click.tracked_path(code, other_message.id))
        self.assertEqual(response.status_code, 302)
        self.assertEqual(response.headers["Location"], move._cobranza_pay_url())
        self.assertEqual(other_message.click_count, 0, "not the other customer's click")
        self.assertEqual(message.click_count, 0)
        self.assertEqual(self.open(click.tracked_path(code, 10**9)).status_code, 302)
        self.assertEqual(self.open(click.tracked_path("NoSuchCode00", message.id)).status_code,
                         404)
        # The click is kept, in its company, without a message.
        tracker = self.env["link.tracker"].search([("cobranza_move_id", "=", move.id)])
        self.assertEqual(tracker.count, 2)
        self.assertFalse(tracker.link_click_ids.cobranza_message_id)
        self.assertEqual(tracker.link_click_ids.cobranza_company_id, self.company)

    def test_a_statement_tracks_each_invoices_link(self):
        a = self._invoice(self.customer, 300.0, days_overdue=4)
        b = self._invoice(self.customer, 200.0, days_overdue=5)
        self.run_cadence()
        message = self.messages_for(self.customer)
        message.scheduled_at = fields.Datetime.now() - datetime.timedelta(minutes=1)
        render_pdfs_offline(self.env)
        self.env["cobranza.message"].with_context(force_report_rendering=True)._process_queue()
        self.assertEqual(message.state, "sent", message.error_message)
        body = self.mock.sent_messages()[0]["template"]["components"][1]["parameters"]
        links = body[6]["text"]
        self.assertNotIn("access_token", links)
        for move in a | b:
            self.assertIn(f"{move.name}: {move._cobranza_pay_url(message)}", links)
            self.assertIn(move._cobranza_pay_url(message), message.body)
        self.assertEqual(len(set(TRACKED_RE.findall(links))), 2, "one tracker per invoice")

    def test_sms_and_email_carry_the_tracked_link(self):
        move = self._invoice(self.customer, 700.0, days_overdue=10)
        level = self.level_by_offset[3]
        for channel in ("sms", "email"):
            message = self.env["cobranza.message"].create(
                self.env["cobranza.message"]._outbound_values(
                    self.customer, move, self.company, channel=channel, level_id=level.id))
            message._send_batch()
            if channel == "sms":
                sms = self.env["sms.sms"].search([("partner_id", "=", self.customer.id)],
                                                 order="id desc", limit=1)
                text = sms.body
                self.assertEqual(message.body, text)
            else:
                mail = self.env["mail.mail"].search([("cobranza_message_id", "=", message.id)])
                text = mail.body_html
            self.assertIn(move._cobranza_pay_url(message), text, channel)
            self.assertNotIn("access_token", text, channel)
            code, message_id = TRACKED_RE.search(text).groups()
            self.assertEqual(int(message_id), message.id)
            self.open(click.tracked_path(code, message.id))
            self.assertEqual(message.click_count, 1, channel)

    def test_a_free_form_answer_tracks_the_customers_pay_links_only(self):
        move = self._invoice(self.customer, 450.0, days_overdue=6)
        other = self._customer("Jorge Ramos", "+51 912 345 678", self.pe)
        other_move = self._invoice(other, 90.0, days_overdue=6)
        self.customer.with_company(self.company).sudo().cobranza_window_until = \
            fields.Datetime.now() + datetime.timedelta(hours=20)
        body = (f"Su factura {move.name}: {move._cobranza_pay_url()} "
                f"(otra: {other_move._cobranza_pay_url()})")
        message = self.env["cobranza.message"]._send_text(self.customer, body)
        self.assertIn(move._cobranza_pay_url(message), message.body)
        self.assertNotIn(move._cobranza_pay_url(), message.body)
        self.assertIn(other_move._cobranza_pay_url(), message.body,
                      "another customer's link is not this message's to track")
        self.assertEqual(message._cobranza_tracked_url(move), move._cobranza_pay_url(message))

    def test_tracking_off_sends_the_plain_links(self):
        self.company.cobranza_click_tracking = False
        move, message = self.send_reminder()
        self.assertEqual(self.url_button_suffix(), move._cobranza_pay_path())
        self.assertIn("access_token=", self.url_button_suffix())
        self.assertEqual(message._cobranza_tracked_url(move), move._cobranza_pay_url())
        self.assertFalse(self.env["link.tracker"].search([("cobranza_move_id", "=", move.id)]))

    def test_a_button_approved_with_a_path_keeps_the_plain_suffix(self):
        template = self.templates.filtered(lambda t: t.purpose == "overdue")
        template.button_ids.filtered(lambda b: b.button_type == "url").url = \
            "https://pay.example.com/portal/{{1}}"
        move, _message = self.send_reminder()
        self.assertEqual(self.url_button_suffix(), move._cobranza_pay_path())

    def test_pay_links_are_visible_to_their_companys_collectors_only(self):
        move, message = self.send_reminder()
        tracker = self.env["link.tracker"].search([("cobranza_move_id", "=", move.id)])
        self.open(move._cobranza_pay_path(message))
        Tracker = self.env["link.tracker"]
        self.assertEqual(Tracker.with_user(self.collector).search(
            [("id", "=", tracker.id)]), tracker)
        self.assertFalse(Tracker.with_user(self.salesman).search([("id", "=", tracker.id)]),
                         "a pay link opens the invoice: not for every employee")
        self.assertFalse(self.env["link.tracker.code"].with_user(self.salesman).search(
            [("link_id", "=", tracker.id)]))
        self.assertFalse(self.env["link.tracker.click"].with_user(self.salesman).search(
            [("link_id", "=", tracker.id)]))
        # The views show the clicks on the message and on the invoice's timeline.
        self.assertIn('name="click_count"', self.env["account.move"].get_view(
            view_type="form")["arch"])
        self.assertIn('name="click_count"', self.env["cobranza.message"].get_view(
            view_type="form")["arch"])


@tagged("post_install", "-at_install")
class TestClickFunnel(ClickCommon):
    """The dashboard's funnel per template and channel, in one company only."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.data_b = cls.setup_other_company(name="Company B")
        cls.company_b = cls.data_b["company"]
        cls.customer.company_id = False
        cls.overdue = cls.templates.filtered(lambda t: t.purpose == "overdue")[:1]
        cls.manager_a = new_test_user(
            cls.env, login="manager_a_only", groups="cobranza_whatsapp.group_cobranza_manager",
            company_id=cls.company.id, company_ids=[Command.set(cls.company.ids)],
            name="Ana Manager")

    def _message(self, move, sent_at, state, **values):
        vals = {"direction": "out", "channel": "whatsapp", "state": state,
                "partner_id": self.customer.id, "company_id": move.company_id.id,
                "move_ids": [Command.set(move.ids)], "sent_at": sent_at,
                "template_id": self.overdue.id, "level_id": self.level_by_offset[3].id}
        vals.update(values)
        return self.env["cobranza.message"].create(vals)

    def _click(self, message):
        move = message.move_ids
        response = self.open(move._cobranza_pay_path(message))
        self.assertEqual(response.status_code, 302)

    def test_funnel_per_template_and_channel_in_one_company(self):
        inv = [self._dated_invoice(100.0 * (i + 1), D(2026, 10, 1), D(2026, 10, 31))
               for i in range(4)]
        # WhatsApp: read + clicked + paid; read only; delivered + clicked. SMS: clicked.
        paid = self._message(inv[0], T(2026, 11, 10, 15), "read", read_at=T(2026, 11, 10, 16))
        self._pay(inv[0], 100.0, D(2026, 11, 12))
        read_only = self._message(inv[1], T(2026, 11, 11, 15), "read",
                                  read_at=T(2026, 11, 11, 16))
        clicked = self._message(inv[2], T(2026, 11, 12, 15), "delivered")
        sms = self._message(inv[3], T(2026, 11, 13, 15), "delivered", channel="sms",
                            template_id=False)
        for message in (paid, clicked, sms, paid):
            self._click(message)
        # Company B: the same customer, a message clicked twice.
        move_b = self._dated_invoice(500.0, D(2026, 10, 1), D(2026, 10, 31),
                                     company_data=self.data_b)
        message_b = self._message(move_b, T(2026, 11, 10, 15), "read", template_id=False,
                                  level_id=False, read_at=T(2026, 11, 10, 16))
        self._click(message_b)
        self._click(message_b)
        self.assertEqual(message_b.click_count, 2)
        self.assertEqual(read_only.click_count, 0)

        Board = self.env["cobranza.dashboard"].with_user(self.manager_a)
        rows, by_channel, total = Board._funnel(self.company, *PERIOD)
        whatsapp_label = dict(Board._fields["channel"]._description_selection(Board.env))[
            "whatsapp"]
        self.assertEqual([(channel, row.label, row.sent, row.read, row.clicked, row.paid)
                          for channel, row in rows],
                         [("SMS", self.level_by_offset[3].name, 1, None, 1, 0),
                          (whatsapp_label, self.overdue.label, 3, 2, 2, 1)])
        self.assertEqual([(row.label, row.sent, row.clicked) for row in by_channel],
                         [(whatsapp_label, 3, 2), ("SMS", 1, 1)])
        self.assertEqual((total.sent, total.read, total.clicked, total.paid), (4, 2, 3, 1))
        self.assertAlmostEqual(total.click_rate, 0.75)
        self.assertAlmostEqual(total.read_rate, 2 / 3, msg="reads of the WhatsApp messages")
        figures = Board._kpis(self.company, *PERIOD)
        self.assertAlmostEqual(figures["click_rate"], 75.0)
        self.assertAlmostEqual(figures["click_to_paid_rate"], 100 / 3)
        # Filtered by channel, the funnel is the channel's.
        rows, _by_channel, total = Board._funnel(self.company, *PERIOD, channel="sms")
        self.assertEqual((len(rows), total.sent, total.clicked), (1, 1, 1))
        # Company B's figures are B's.
        _rows, _by_channel, total_b = self.env["cobranza.dashboard"]._funnel(
            self.company_b, *PERIOD)
        self.assertEqual((total_b.sent, total_b.read, total_b.clicked), (1, 1, 1))
        # The dashboard shows it.
        board = Board.create({"date_from": PERIOD[0], "date_to": PERIOD[1]})
        html = str(board.funnel_table)
        self.assertIn(self.overdue.label, html)
        self.assertIn("75.0 %", html)
        self.assertEqual(board.click_rate, 75.0)
        # The funnel pivot has the clicks, between read and paid.
        funnel = board.action_open_funnel()
        self.assertEqual(funnel["context"]["pivot_measures"][2:4], ["read_count", "clicked"])
        # A's manager does not read B's clicks.
        self.assertFalse(self.env["link.tracker.click"].with_user(self.manager_a).search(
            [("cobranza_message_id", "=", message_b.id)]))
        self.assertFalse(self.env["link.tracker"].with_user(self.manager_a).search(
            [("cobranza_move_id", "=", move_b.id)]))


@tagged("post_install", "-at_install")
class TestSandboxClicks(ClickCommon):

    def test_the_sandbox_customers_open_the_links_of_messages_they_read(self):
        """The demo's funnel: some simulated customers who read a reminder open its pay
        link; a click is only ever on a read message, credited to it."""
        self.wa_account.write({"mode": "sandbox", "sandbox_reply_rate": 0})
        for index in range(20):
            partner = self._customer(f"Cliente {index}", f"+51 9{index + 40} 222 333", self.pe)
            self._invoice(partner, 100.0 + index, days_overdue=4)
        self.run_cadence()
        messages = self.env["cobranza.message"].search([("direction", "=", "out")])
        messages.write({"scheduled_at": fields.Datetime.now() - datetime.timedelta(minutes=1)})
        self.env["cobranza.message"]._process_queue()
        clicks = self.env["link.tracker.click"].search(
            [("cobranza_message_id", "in", messages.ids)])
        self.assertTrue(clicks, "about half the readers click")
        self.assertEqual(set(clicks.cobranza_message_id.mapped("state")), {"read"})
        self.assertLess(len(clicks.cobranza_message_id),
                        len(messages.filtered(lambda m: m.state == "read")) + 1)


@tagged("post_install", "-at_install")
class TestClickUninstall(ClickCommon):

    def test_uninstalling_removes_the_pay_link_trackers(self):
        """Without the addon's record rules every employee would read them (and their
        tokens): the uninstall hook removes them, and leaves the other trackers."""
        move, message = self.send_reminder()
        other = self.env["link.tracker"].create({"url": "https://example.com/promo",
                                                 "title": "Promo"})
        self.assertTrue(move._cobranza_pay_path(message))
        uninstall_hook(self.env)
        self.env.invalidate_all()
        self.assertFalse(self.env["link.tracker"].search([("cobranza_move_id", "=", move.id)]))
        self.assertTrue(other.exists())
