{
    "name": "Bench: a bare signed webhook route",
    "summary": "The baseline of bench/bench_webhook.py: an auth='none' route that only checks "
               "Meta's HMAC. Loaded as a server-wide module by the benchmark, never installed.",
    "version": "19.0.1.0.0",
    "author": "cobranza_whatsapp",
    "license": "LGPL-3",
    "depends": ["base"],
    "installable": True,
}
