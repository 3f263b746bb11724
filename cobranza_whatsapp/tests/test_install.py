from odoo.tests import tagged

from .common import CobranzaCommon


@tagged("post_install", "-at_install")
class TestInstall(CobranzaCommon):
    def test_default_cadence_shipped(self):
        offsets = self.levels.mapped("offset_days")
        self.assertEqual(sorted(offsets), [-3, 0, 3, 7, 15, 30])
        self.assertTrue(all(t.status == "approved" for t in self.templates),
                        "sandbox approves submitted templates")
        main = self.env.ref("base.main_company")
        self.assertTrue(
            self.env["cobranza.level"].sudo().search_count([("company_id", "=", main.id)])
        )

    def test_settings_block_for_managers(self):
        self.manager.group_ids |= self.env.ref("base.group_system")
        settings = self.env["res.config.settings"].with_user(self.manager).create({})
        self.assertEqual(settings.cobranza_level_count, 6)
        arch = self.env["res.config.settings"].with_user(self.manager).get_view()["arch"]
        self.assertIn("cobranza_whatsapp_setting_container", arch)
        self.assertIn("cobranza_frequency_cap", arch)

    def test_load_defaults_keeps_existing_cadence(self):
        level = self.level_by_offset[30]
        level.name = "Custom final"
        self.company._cobranza_load_defaults()
        self.assertEqual(self.env["cobranza.level"].search_count(
            [("company_id", "=", self.company.id)]), 6)
        self.assertEqual(level.name, "Custom final")

    def test_cron_records(self):
        self.assertTrue(self.env.ref("cobranza_whatsapp.ir_cron_cadence").active)
        self.assertTrue(self.env.ref("cobranza_whatsapp.ir_cron_send").active)
