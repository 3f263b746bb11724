import { registry } from "@web/core/registry";

// An accountant reads an overdue invoice's collection timeline, sends a reminder now and
// finds it in the outbox.
registry.category("web_tour.tours").add("cobranza_accountant_tour", {
    steps: () => [
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
    ],
});
