-- A neutralized copy (staging, a support dump) must never talk to Meta or accept payments.
UPDATE cobranza_whatsapp_account
   SET access_token = NULL,
       app_secret = NULL,
       verify_token = NULL,
       mode = 'sandbox';
UPDATE ir_config_parameter
   SET value = ''
 WHERE key = 'cobranza_whatsapp.payment_webhook_secret';
UPDATE res_company
   SET cobranza_payment_webhook_secret = NULL;
