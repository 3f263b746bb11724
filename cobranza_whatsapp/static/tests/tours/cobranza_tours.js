import { registry } from "@web/core/registry";
import { stepUtils } from "@web_tour/tour_utils";

// Nothing the user did opened an error dialog (an access error, a failed action).
const noErrorDialog = {
    content: "No error dialog",
    trigger: "body:not(:has(.o_error_dialog))",
};

// A date `days` from today as the Spanish (Latin America) date fields take it.
function spanishDate(days) {
    const date = new Date(Date.now() + days * 24 * 3600 * 1000);
    const pad = (n) => String(n).padStart(2, "0");
    return `${pad(date.getDate())}/${pad(date.getMonth() + 1)}/${date.getFullYear()}`;
}

// A collector's day, in Spanish: the Collections app opens on the work queue; a reply that
// needs a person opens on its conversation; the promise the customer made is recorded; back
// on the reply, Done closes it with what came of it.
registry.category("web_tour.tours").add("cobranza_collector_tour", {
    steps: () => [
        ...stepUtils.goToAppSteps("cobranza_whatsapp.menu_cobranza_app", "Open Collections"),
        {
            content: "The app opens on the work queue, in Spanish",
            trigger: ".o_breadcrumb:contains('Cola de trabajo')",
        },
        {
            content: "Open the reply waiting for a person",
            trigger: ".o_data_row:contains('Quiero hablar') button[name='action_open']",
            run: "click",
        },
        {
            content: "The conversation shows the reminder we sent",
            trigger: ".o_field_widget[name='conversation'] .o_cobranza_out:contains('María Quispe')",
        },
        {
            content: "and the customer's answer, the one open here",
            trigger: ".o_field_widget[name='conversation'] .o_cobranza_current:contains('Quiero hablar')",
        },
        {
            content: "The reply waits for a person (not an outbound status)",
            trigger: ".o_field_widget[name='reply_state'] .o_arrow_button_current[data-value='waiting']",
        },
        noErrorDialog,
        {
            content: "Record the promise the customer made",
            trigger: ".o_form_statusbar button[name='action_record_promise']",
            run: "click",
        },
        {
            content: "The promise is for the customer's open invoice",
            trigger: ".o_form_view .o_field_widget[name='move_ids'] .o_tag:contains('INV/')",
        },
        {
            content: "Promised for in five days",
            trigger: ".o_field_widget[name='date'] input",
            run: `edit ${spanishDate(5)}`,
        },
        {
            content: "Save the promise",
            trigger: ".o_form_button_save",
            run: "click",
        },
        {
            content: "Saved",
            trigger: ".o_form_saved",
        },
        noErrorDialog,
        {
            content: "Back to the reply",
            trigger: ".o_breadcrumb .breadcrumb-item a:contains('María Quispe')",
            run: "click",
        },
        {
            content: "Done",
            trigger: ".o_form_statusbar button[name='action_mark_done']",
            run: "click",
        },
        {
            content: "What came of it: talked to the customer, reminders resume",
            trigger: ".modal .o_field_widget[name='outcome'] input[data-value='follow_up']",
            run: "click",
        },
        {
            content: "Close the item",
            trigger: ".modal button[name='action_close']",
            run: "click",
        },
        {
            content: "The reply is handled",
            trigger: "body:not(:has(.modal)) .o_field_widget[name='reply_state'] .o_arrow_button_current[data-value='handled']",
        },
        {
            content: "and nothing is left to close",
            trigger: "body:not(:has(button[name='action_mark_done']))",
        },
        noErrorDialog,
    ],
});

// An accountant opens Invoicing, finds the overdue invoice, reads its collection timeline,
// sends a reminder now and finds it in the outbox.
registry.category("web_tour.tours").add("cobranza_accountant_tour", {
    steps: () => [
        ...stepUtils.goToAppSteps("account.menu_finance", "Open Invoicing"),
        {
            content: "Open the overdue invoice from the invoices",
            trigger: ".o_list_view .o_data_row:contains('María Quispe') td[name='name']",
            run: "click",
        },
        {
            content: "Open the Collections tab of the overdue invoice",
            trigger: ".o_notebook .nav-link:contains('Collections')",
            run: "click",
        },
        {
            content: "The timeline shows the reminder the cadence sent",
            trigger: ".o_field_widget[name='cobranza_message_ids'] .o_data_row:contains('WhatsApp')",
        },
        {
            content: "The collection state is visible",
            trigger: ".o_field_widget[name='cobranza_state']:contains('Reminded')",
        },
        {
            content: "Send a reminder now",
            trigger: ".o_form_statusbar button:contains('Send Reminder Now')",
            run: "click",
        },
        {
            content: "The preview shows the customer's message",
            trigger: ".modal .o_field_widget[name='preview']:contains('Quispe')",
        },
        {
            content: "Send it",
            trigger: ".modal button[name='action_send']",
            run: "click",
        },
        {
            content: "Back on the invoice, open its reminders",
            trigger: "body:not(:has(.modal)) .oe_stat_button[name='action_cobranza_open_messages']",
            run: "click",
        },
        {
            content: "The new reminder is in the outbox",
            trigger: ".o_list_view .o_data_row + .o_data_row",
        },
        noErrorDialog,
    ],
});

// A sales rep opens a customer and sees the collection status, without edit rights.
registry.category("web_tour.tours").add("cobranza_sales_tour", {
    steps: () => [
        {
            content: "Open the Collections tab of the customer",
            trigger: ".o_notebook .nav-link:contains('Collections')",
            run: "click",
        },
        {
            content: "The risk segment is shown",
            trigger: ".o_field_widget[name='cobranza_risk'] .badge",
        },
        {
            content: "The overdue total is shown",
            trigger: ".o_field_widget[name='cobranza_total_overdue']:contains('300')",
        },
        {
            content: "The manual risk cannot be edited",
            trigger: "body:not(:has(.o_field_widget[name='cobranza_risk_manual'] select))",
        },
        {
            content: "The collector cannot be changed either",
            trigger: "body:not(:has(.o_field_widget[name='cobranza_collector_id'] input))",
        },
        {
            content: "No button to send reminders",
            trigger: "body:not(:has(button:contains('Send Reminder Now')))",
        },
        {
            // Invoices and messages are for those who read invoices; a smart button another
            // module adds for every employee must be opened here too.
            content: "The only smart button the sales rep has is the promises",
            trigger: ".o-form-buttonbox .oe_stat_button:has(.fa-handshake-o)",
            run() {
                const buttons = document.querySelectorAll(".o-form-buttonbox .oe_stat_button");
                if (buttons.length !== 1) {
                    throw new Error(`${buttons.length} smart buttons: open each in this tour`);
                }
            },
        },
        {
            content: "The promises open",
            trigger: ".o-form-buttonbox .oe_stat_button:has(.fa-handshake-o)",
            run: "click",
        },
        {
            content: "The customer's promise is listed",
            trigger: ".o_list_view .o_data_row:contains('María Quispe')",
        },
        noErrorDialog,
        {
            content: "Back to the customer",
            trigger: ".o_breadcrumb .breadcrumb-item a:contains('María Quispe')",
            run: "click",
        },
        {
            content: "The customer's form again",
            trigger: ".o_form_view .o_field_widget[name='name']",
        },
        noErrorDialog,
    ],
});

// An accountant verifies a proof of payment the customer sent on WhatsApp: from the
// Collections app's Proofs of Payment, Confirm opens Odoo's Register Payment with the amount
// the customer wrote, and the payment confirms the proof.
registry.category("web_tour.tours").add("cobranza_proof_tour", {
    steps: () => [
        ...stepUtils.goToAppSteps("cobranza_whatsapp.menu_cobranza_app", "Open Collections"),
        {
            content: "Open Proofs of Payment",
            trigger: ".o_main_navbar [data-menu-xmlid='cobranza_whatsapp.menu_cobranza_app_payment_proofs']",
            run: "click",
        },
        {
            content: "The customer's proof waits to be verified",
            trigger: ".o_list_view .o_data_row:contains('María Quispe') td[name='partner_id']",
            run: "click",
        },
        {
            content: "The customer's words and the file are on the proof",
            trigger: ".o_form_view .o_field_widget[name='caption']:contains('ya pagué 300')",
        },
        {
            content: "Confirm: the payment is in the bank",
            trigger: ".o_form_statusbar button[name='action_confirm']",
            run: "click",
        },
        {
            content: "Odoo's Register Payment opens with the amount the customer wrote",
            trigger: ".modal .o_field_widget[name='amount'] input:value(300.00)",
        },
        {
            content: "Create the payment",
            trigger: ".modal button[name='action_create_payments']",
            run: "click",
        },
        {
            content: "The payment is registered: the wizard closed (the test checks the proof)",
            trigger: "body:not(:has(.modal)) .o_action_manager",
        },
        noErrorDialog,
    ],
});

// A collector sees the proof, and cannot decide it: that is an accountant's.
registry.category("web_tour.tours").add("cobranza_proof_collector_tour", {
    steps: () => [
        ...stepUtils.goToAppSteps("cobranza_whatsapp.menu_cobranza_app", "Open Collections"),
        {
            content: "Open Proofs of Payment",
            trigger: ".o_main_navbar [data-menu-xmlid='cobranza_whatsapp.menu_cobranza_app_payment_proofs']",
            run: "click",
        },
        {
            content: "Open the customer's proof",
            trigger: ".o_list_view .o_data_row:contains('María Quispe') td[name='partner_id']",
            run: "click",
        },
        {
            content: "It is being verified, and there is no Confirm or Reject for a collector",
            trigger: ".o_form_view .o_field_widget[name='state'] .o_arrow_button_current[data-value='pending']",
        },
        {
            content: "No decision button",
            trigger: "body:not(:has(button[name='action_confirm'])):not(:has(button[name='action_reject']))",
        },
        noErrorDialog,
    ],
});
