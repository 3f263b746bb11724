from decimal import Decimal

from odoo import api, models

from ..tools import formatting, receivable, self_service

# Invoices a customer may name by number when asking for a copy: their latest ones.
NAMED_CANDIDATES = 500


class CobranzaMessageSelfService(models.AbstractModel):
    """The questions a customer's message asks that the automation answers by itself, inside
    the 24-hour window the message opened: the balance, an invoice's PDF, how to pay. The
    answer is in the customer's language (the customer's, else the company's), built by
    ``tools/self_service.py`` from what Odoo counts; when it cannot be sent or there is
    nothing sure to say, the message goes to a person."""

    _name = "cobranza.message.self.service"
    _description = "Collection Message Self-Service"

    @api.model
    def _reply_handlers(self):
        return {**super()._reply_handlers(), "balance": "_on_balance",
                "invoice_copy": "_on_invoice_copy", "how_to_pay": "_on_how_to_pay"}

    # === THE ANSWERS === #

    def _on_balance(self, result, today):
        """The open invoices (overdue apart) with their pay links, the credit notes and
        payments not yet applied, and the total netted as Odoo counts the receivable."""
        write = self._self_service_writer()
        invoices = self._self_service_open_invoices()
        lines = [self._self_service_line(move) for move in invoices]
        lines += self._self_service_credits()
        body = self_service.balance_message(
            lines, today, write, name=self.partner_id.name or "",
            company=self.company_id.name, portal_url=self._self_service_portal_url())
        self._self_service_send(result, today, self._in_company_lang().env._(
            "Balance sent automatically"), body, moves=invoices)

    def _on_invoice_copy(self, result, today):
        """The PDF of the invoice asked for: the one chosen from our list, else the one
        the text names, else the reply's, else the only open one; several: a list."""
        write = self._self_service_writer()
        moves, choose = self._self_service_invoices_asked(result)
        done = self._in_company_lang().env._
        if not moves:
            self._hand_to_person(result, today)
        elif choose:
            body, button, sections = self_service.invoice_choice(
                [self._self_service_line(move) for move in moves], today, write)
            self._self_service_send(result, today, done("Invoices offered to choose from"),
                                    body, list_button=button, sections=sections, moves=moves)
        else:
            caption = self_service.invoice_caption(self._self_service_line(moves), today,
                                                   write)
            self._self_service_send(result, today, done("Invoice %(invoice)s sent "
                                                        "automatically", invoice=moves.name),
                                    caption, document_moves=moves)

    def _on_how_to_pay(self, result, today):
        """The company's own text, its bank accounts and the online payment methods of its
        portal, with the pay links of what the reply is about."""
        company = self.company_id
        write = self._self_service_writer()
        providers = self._self_service_providers()
        moves = self._open_moves()
        text = company.with_context(lang=self._self_service_lang()).cobranza_how_to_pay_text
        body = self_service.how_to_pay_message(
            write, company=company.name, text=text or "",
            text_only=company.cobranza_how_to_pay_text_only,
            accounts=[self._self_service_bank(account)
                      for account in self._self_service_bank_accounts()],
            providers=providers,
            pay_lines=[self._self_service_line(move) for move in moves] if providers else [],
            portal_url=self._self_service_portal_url())
        self._self_service_send(result, today, self._in_company_lang().env._(
            "Payment methods sent automatically"), body, moves=moves)

    def _self_service_send(self, result, today, done, body, **answer):
        """Answer, or hand the message to a person when it cannot be answered (nothing to
        say, answers switched off, the window closed, a message Meta would refuse)."""
        message = self._answer(body, **answer) if body else self.browse()
        if message:
            self.action_taken = done
        else:
            self._hand_to_person(result, today)
        return message

    # === WHAT ODOO KNOWS === #

    def _self_service_lang(self):
        return self.partner_id.lang or self.company_id._cobranza_lang()

    def _self_service_writer(self):
        """Texts in the customer's language, amounts and dates in their country's formats."""
        lang = self._self_service_lang()
        env = self.with_context(lang=lang).env
        locale = formatting.odoo_lang_to_locale(lang, self.partner_id.country_id.code)
        return self_service.Writer(locale, lambda message, **params: env._(message, **params))

    def _self_service_pay_link(self, move):
        """The one place an answer gets an invoice's pay link."""
        return move._cobranza_pay_url()

    def _self_service_portal_url(self):
        """The customer's list of invoices, for a customer who can log in to the portal."""
        if not self.partner_id.sudo().user_ids:
            return ""
        return f"{self.get_base_url().rstrip('/')}/my/invoices"

    def _self_service_open_invoices(self):
        return self.env["account.move"].sudo().search([
            *receivable.OPEN_RECEIVABLE_DOMAIN,
            ("commercial_partner_id", "=", self.partner_id.id),
            ("company_id", "=", self.company_id.id),
        ], order="invoice_date_due, id")

    def _self_service_line(self, move):
        """An invoice as the answers show it: what is left to pay, due date, pay link."""
        is_open = receivable.is_open(move)
        amount = move.amount_residual if is_open else move.amount_total
        return self_service.Line(
            kind="invoice", ref=move.name, amount=Decimal(str(amount)),
            currency=move.currency_id.name, symbol=move.currency_id.symbol or "",
            due=move.invoice_date_due or None,
            pay_url=self._self_service_pay_link(move) if is_open else "",
            move_id=move.id, paid=not is_open)

    def _self_service_credits(self):
        """What counts in the customer's favour in the receivable: credit notes and
        payments not yet applied to an invoice, in their own currency."""
        lines = self.env["account.move.line"].sudo().search([
            ("company_id", "=", self.company_id.id),
            ("partner_id", "child_of", self.partner_id.id),
            ("account_type", "=", "asset_receivable"),
            ("parent_state", "=", "posted"),
            ("reconciled", "=", False),
            ("amount_residual", "<", 0),
        ], order="date, id")
        return [self_service.Line(
            kind="credit_note" if line.move_id.move_type == "out_refund" else "payment",
            ref=line.move_id.name, amount=Decimal(str(-line.amount_residual_currency)),
            currency=line.currency_id.name, symbol=line.currency_id.symbol or "",
            move_id=line.move_id.id) for line in lines]

    def _self_service_invoices_asked(self, result):
        """(invoices, whether the customer must choose) for an invoice copy."""
        Move = self.env["account.move"].sudo()
        domain = [("move_type", "=", "out_invoice"), ("state", "=", "posted"),
                  ("commercial_partner_id", "=", self.partner_id.id),
                  ("company_id", "=", self.company_id.id)]
        reference = (result.reference or "").strip()
        if reference.isdigit():
            # A row of our list ("INVOICE:<id>"): only this customer's, in this company.
            return Move.search([*domain, ("id", "=", int(reference))], limit=1), False
        candidates = Move.search(domain, order="invoice_date desc, id desc",
                                 limit=NAMED_CANDIDATES)
        named = self_service.invoices_named(reference or self.body or "",
                                            {move.id: move.name for move in candidates})
        replied = self.move_ids.sudo().filtered(lambda m: m.state == "posted")
        ids, choose = self_service.invoices_to_send(
            named, replied.sorted(lambda m: (m.invoice_date_due or m.date, m.id)).ids,
            self._self_service_open_invoices().ids)
        return Move.browse(ids), choose

    def _self_service_bank_accounts(self):
        """The company's bank accounts as Odoo keeps them: those its open invoices name
        first, then its bank journals', then the rest of the company's."""
        company = self.company_id
        journals = self.env["account.journal"].sudo().search([
            ("company_id", "=", company.id), ("type", "=", "bank"),
            ("bank_account_id", "!=", False)], order="sequence, id")
        accounts = self._open_moves().partner_bank_id | journals.bank_account_id | \
            company.partner_id.sudo().bank_ids
        return accounts.filtered(lambda a: a.partner_id == company.partner_id)

    def _self_service_bank(self, account):
        clearing, label = account.clearing_number or "", ""
        if "l10n_mx_edi_clabe" in account._fields and account.l10n_mx_edi_clabe:
            clearing, label = account.l10n_mx_edi_clabe, "CLABE"
        return self_service.BankAccount(
            bank=account.bank_id.name or "", number=account.acc_number,
            iban=account.acc_type == "iban", clearing=clearing,
            clearing_label=label or self_service.clearing_label(
                self.company_id.country_id.code) or "",
            currency=account.currency_id.name or "", holder=account.acc_holder_name or "")

    def _self_service_providers(self):
        """The payment providers the customer finds in the company's portal: enabled (or
        in test), published, in this company and for the customer's country."""
        lang = self._self_service_lang()
        country = self.partner_id.country_id
        providers = self.env["payment.provider"].sudo().with_context(lang=lang).search([
            ("company_id", "=", self.company_id.id), ("state", "in", ("enabled", "test")),
            ("is_published", "=", True)], order="sequence, id")
        return [self_service.Provider(
            name=provider.name,
            methods=tuple(provider.payment_method_ids.filtered("is_primary")
                          .sorted("sequence").mapped("name")))
            for provider in providers
            if not provider.available_country_ids or country in provider.available_country_ids]
