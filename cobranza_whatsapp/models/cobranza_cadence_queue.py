from odoo import api, models
from odoo.fields import Command
from odoo.models import LOG_ACCESS_COLUMNS
from odoo.tools import SQL

# Rows per INSERT statement: a batch of the cadence queues up to a thousand messages.
INSERT_ROWS = 1000
# The log-access columns in the order their values are appended to each row.
LOG_ACCESS_COLUMNS_ORDER = ("create_uid", "write_uid", "create_date", "write_date")


class CobranzaCadenceQueue(models.AbstractModel):
    """The cadence's messages, queued in bulk.

    A cadence batch queues up to a thousand reminders at once. ``cobranza.message`` has no
    stored computed field, no tracked field and no ``create`` of its own for template
    messages (the only kind the cadence queues, and the only one queued here). What the
    ORM's ``create`` does per record there is the default values (``default_get`` for
    every missing field, record by record) and the cache: measured on the cadence
    benchmark, that was a third of a first run. Here the defaults are read once for the
    batch (the same ``default_get``), each value is converted by its field as the ORM
    converts it, the rows and their invoice links are inserted with a statement per
    thousand, and the company consistency is checked as ``create`` checks it.
    ``tests/test_cadence_queue.py`` holds a message queued here against the same message
    made by ``create``, column by column.
    """

    _name = "cobranza.cadence.queue"
    _description = "Collection Cadence Message Queue"

    @api.model
    def _queue_messages(self, vals_list):
        """Create the outbound messages of `vals_list` (``_outbound_values``'s, all with the
        same keys); returns them. Values the bulk path does not know how to write (other
        than stored columns and ``Command.set`` on many2many fields) go through
        ``create``."""
        Message = self.env["cobranza.message"]
        if not vals_list:
            return Message
        keys = set(vals_list[0])
        fields_ = Message._fields
        m2m = [name for name in keys if fields_[name].type == "many2many"]
        # Only template messages: a free-form text has its pay links replaced when created
        # (``cobranza.message.click``'s create).
        if any(set(vals) != keys or vals.get("kind") != "template" for vals in vals_list) \
                or not self._bulk_writable(Message, keys, m2m, vals_list):
            return Message.create(vals_list)
        columns = sorted(
            name for name, field in fields_.items()
            if field.store and field.column_type and not field.compute and not field.related
            and name not in LOG_ACCESS_COLUMNS and name != "id" and name not in m2m)
        defaults = Message.default_get([name for name in columns if name not in keys])
        columns = [name for name in columns if name in keys or name in defaults]
        now = self.env.cr.now()
        uid = self.env.uid
        ids = []
        for start in range(0, len(vals_list), INSERT_ROWS):
            rows = []
            for vals in vals_list[start:start + INSERT_ROWS]:
                values = {**defaults, **vals}
                rows.append(SQL("(%s)", SQL(", ").join([
                    *(fields_[name].convert_to_column_insert(values[name], Message, values)
                      for name in columns),
                    uid, uid, now, now])))
            self.env.cr.execute(SQL(
                "INSERT INTO cobranza_message (%s) VALUES %s RETURNING id",
                SQL(", ").join(SQL.identifier(name) for name in
                               [*columns, *LOG_ACCESS_COLUMNS_ORDER]),
                SQL(", ").join(rows)))
            ids.extend(row[0] for row in self.env.cr.fetchall())
        for name in m2m:
            field = fields_[name]
            pairs = [(message_id, target) for message_id, vals in zip(ids, vals_list, strict=True)
                     for target in vals[name][0][2]]
            if pairs:
                self.env.cr.execute(SQL(
                    "INSERT INTO %s (%s, %s) SELECT unnest(%s::int[]), unnest(%s::int[]) "
                    "ON CONFLICT DO NOTHING",
                    SQL.identifier(field.relation), SQL.identifier(field.column1),
                    SQL.identifier(field.column2), [p[0] for p in pairs], [p[1] for p in pairs]))
        messages = Message.browse(ids)
        # What create updates besides the rows: the other side of each relation (the
        # invoices' and customers' message lists) and what depends on the new messages.
        for name in (*columns, *m2m):
            inverses = self.pool.field_inverses[fields_[name]]
            if not inverses:
                continue
            targets = {target for vals in vals_list for target in (
                vals[name][0][2] if name in m2m else [vals.get(name, defaults.get(name))])
                if target}
            for inverse in inverses:
                records = self.env[inverse.model_name].browse(targets)
                records.invalidate_recordset([inverse.name], flush=False)
                records.modified([inverse.name])
        messages.modified([*columns, *m2m], create=True)
        messages._check_company()
        return messages

    @api.model
    def _bulk_writable(self, Message, keys, m2m, vals_list):
        fields_ = Message._fields
        for name in keys:
            field = fields_[name]
            if name in m2m:
                if not all(len(vals[name]) == 1 and vals[name][0][0] == Command.SET
                           for vals in vals_list):
                    return False
            elif not (field.store and field.column_type) or field.compute or field.related \
                    or field.translate or field.company_dependent:
                return False
        return True
