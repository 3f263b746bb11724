from odoo import models
from odoo.exceptions import UserError

from ..tools import formatting, meta_api, plans

# A reply button's title: Meta's limit.
BUTTON_TITLE_CHARS = 20


class CobranzaMessageNegotiation(models.AbstractModel):
    """Negotiation within the company's rules, in the conversation the customer opened: a
    plan request is answered with the options the rules allow (reply buttons, each with its
    amounts and dates), the customer's tap activates the plan and is confirmed, a promise
    with a date is confirmed back; whatever is outside the rules goes to a person with the
    proposal, and the customer hears that someone will contact them.

    It overrides the inbound handlers (``cobranza.message.inbound``): it comes before that
    model in ``cobranza.message``'s ``_inherit``. When the company answers nothing by itself
    (``cobranza_auto_answers``) or cannot answer now (window closed, opt-out), the
    inbound handlers act as before: a collector agrees the plan."""

    _name = "cobranza.message.negotiation"
    _description = "Collection Message Negotiation"

    # === PLAN REQUESTS AND CHOICES === #

    def _on_plan(self, result, today):
        """A plan request, or a tap on one of our options: a reference shaped like an
        option's ("3:42"); a template's quick reply carries an invoice's name instead."""
        if not self.company_id.cobranza_auto_answers:
            # Nothing automatic: a collector agrees the plan, an earlier offer included.
            self._offered_plans().offer_options = False
            return super()._on_plan(result, today)
        option = plans.parse_option(result.reference)
        if option:
            return self._on_plan_option(result, today, *option)
        return self._offer_plan(result, today)

    def _offer_plan(self, result, today, notice=None):
        """The options the company's rules allow, as reply buttons (`notice` first, when the
        customer tapped an option that is no longer offered)."""
        Plan = self.env["cobranza.payment.plan"].sudo().with_company(self.company_id)
        plan, options, problem = Plan._offer(
            self.partner_id, self._open_moves(), self.company_id,
            requested=plans.requested_instalments(self.body), message=self, today=today)
        if problem:
            return self._plan_to_person(result, today, problem)
        customer = self._for_customer()
        lines = [customer._option_text(count, schedule, plan.currency_id)
                 for count, schedule in options]
        body = customer.env._("You can pay %(total)s in instalments:\n%(options)s\nChoose one "
                              "below: the reminders will follow your plan.",
                              total=customer._amount_text(plan.amount_total, plan.currency_id),
                              options="\n".join(f"• {line}" for line in lines))
        if notice:
            body = f"{notice}\n{body}"
        buttons = [(plans.option_id(count, plan.id), meta_api.shorten(
            customer.env._("%(count)s instalments", count=count), BUTTON_TITLE_CHARS))
            for count, _schedule in options]
        if not self._answer(body, buttons=buttons, moves=plan.move_ids):
            # No answer possible now: the proposal is a collector's to agree, as before.
            plan.offer_options = False
            return super()._on_plan(result, today)
        self.action_taken = self.env._(
            "Payment plan options sent to the customer: %(counts)s instalments",
            counts=", ".join(str(count) for count, _schedule in options))
        return plan

    def _on_plan_option(self, result, today, count, plan_id):
        """A tap on an option of ours. The button's id comes from the customer's phone: the
        plan must be this customer's and this company's, and the option still offered."""
        plan = self.env["cobranza.payment.plan"].sudo().browse(plan_id).exists()
        if not plan or plan.partner_id != self.partner_id.commercial_partner_id or \
                plan.company_id != self.company_id:
            return self._refuse_option(result, today)
        if plan.state == "active" and plan.instalment_count == count:
            # The same choice again (a second tap): the plan stands, said once more.
            self._answer(self._for_customer().env._(
                "Your payment plan is already active: %(plan)s.",
                plan=self._for_customer()._plan_text(plan)), moves=plan.move_ids)
            self.action_taken = self.env._("Payment plan %(plan)s already active",
                                           plan=plan.name)
            return plan
        if plan.state != "draft" or not plan.offer_options:
            return self._refuse_option(result, today)
        if not plan._offered_schedule(count, today):
            # Its day passed (or another count): today's options instead.
            return self._offer_plan(result, today, notice=self._for_customer().env._(
                "That option is no longer available."))
        try:
            plan.with_company(self.company_id)._accept_option(count, today)
        except UserError as error:  # the Settings changed since the offer
            return self._plan_to_person(result, today, str(error))
        self._answer(self._for_customer().env._(
            "Done: %(plan)s. We will remind you before each instalment.",
            plan=self._for_customer()._plan_text(plan)), moves=plan.move_ids)
        self.action_taken = self.env._(
            "Payment plan %(plan)s activated: the customer chose %(count)s instalments",
            plan=plan.name, count=count)
        return plan

    def _refuse_option(self, result, today):
        """A tap on an option that is not (or no longer) this customer's: nothing changes,
        the customer is told, a person follows up."""
        self._answer(self._for_customer().env._(
            "Sorry, that option is not available. A person from our team will contact you."))
        self._hand_to_person(result, today)
        self.action_taken = self.env._(
            "A payment plan option that is not open to this customer was refused; handed to "
            "a person")
        return self.env["cobranza.payment.plan"]

    def _plan_to_person(self, result, today, problem):
        """Outside the rules: a proposal within them and the reason for a collector, and
        the customer told that a person will contact them."""
        Plan = self.env["cobranza.payment.plan"].sudo().with_company(self.company_id)
        self._offered_plans().offer_options = False  # a person agrees it now
        plan, problem = Plan._propose(self.partner_id, self._open_moves(), message=self,
                                      problem=problem)
        self.sudo().needs_person = True
        if plan:
            self.action_taken = self.env._(
                "Payment plan %(plan)s proposed, outside the rules: a person decides",
                plan=plan.name)
        else:
            self._hand_to_person(result, today)
            self.action_taken = problem
        self._answer(self._for_customer().env._(
            "Thank you. A person from our team will contact you to agree a payment plan."))
        return plan

    def _offered_plans(self):
        """This customer's plans offered in the conversation, still open to a choice."""
        return self.env["cobranza.payment.plan"].sudo().search([
            ("partner_id", "=", self.partner_id.commercial_partner_id.id),
            ("company_id", "=", self.company_id.id), ("state", "=", "draft"),
        ]).filtered("offer_options")  # a Json field is not searched

    # === PROMISES === #

    def _on_promise(self, result, today):
        """The promise recorded (or handed to a person beyond the horizon), then confirmed
        back to the customer in their words."""
        done = super()._on_promise(result, today)
        promise = self.env["cobranza.promise"].sudo().search(
            [("source_message_id", "=", self.id)], limit=1)
        customer = self._for_customer()
        if promise:
            text = customer.env._(
                "Noted: you will pay %(amount)s on %(date)s. Thank you!",
                amount=customer._amount_text(promise.amount, promise.currency_id),
                date=plans.format_day(promise.date, customer._customer_locale(), weekday=True))
            self._answer(text, moves=promise.move_ids)
        elif self.needs_person:
            self._answer(customer.env._(
                "Thank you. A person from our team will contact you to agree on a payment "
                "date."))
        return done

    # === THE CUSTOMER'S WORDS === #

    def _for_customer(self):
        """This message in the customer's language (theirs, else the company's): what the
        automation writes to them."""
        lang = self.partner_id.lang or self.company_id._cobranza_lang()
        return self.with_context(lang=lang) if lang != self.env.lang else self

    def _customer_locale(self):
        return formatting.odoo_lang_to_locale(self.partner_id.lang or self.env.lang,
                                              self.partner_id.country_id.code)

    def _amount_text(self, amount, currency):
        return formatting.format_amount(amount, currency.name, self._customer_locale(),
                                        symbol=currency.symbol)

    def _enumeration(self, items):
        if len(items) == 1:
            return items[0]
        return self.env._("%(items)s and %(last)s", items=", ".join(items[:-1]),
                          last=items[-1])

    def _option_text(self, count, schedule, currency):
        """"3 instalments of S/ 400.00 on 5/12, 5/1 and 5/2", or with a larger first one
        "3 instalments: S/ 600.00 on 5/12; S/ 300.00 on 5/1 and 5/2"."""
        locale = self._customer_locale()
        groups = [(self._amount_text(amount, currency),
                   self._enumeration([plans.format_day(day, locale) for day in days]))
                  for amount, days in plans.group_amounts(schedule)]
        if len(groups) == 1:
            return self.env._("%(count)s instalments of %(amount)s on %(dates)s",
                              count=count, amount=groups[0][0], dates=groups[0][1])
        return self.env._("%(count)s instalments: %(parts)s", count=count, parts="; ".join(
            self.env._("%(amount)s on %(dates)s", amount=amount, dates=dates)
            for amount, dates in groups))

    def _plan_text(self, plan):
        lines = plan.line_ids.sorted("date")
        return self._option_text(len(lines), [(line.date, line.amount) for line in lines],
                                 plan.currency_id)
