"""Hash-chain the audit log: number existing entries in the order they were written, chain
them, and (on PostgreSQL) refuse UPDATE and DELETE on the table."""

from typing import Any

from django.db import migrations, models

APPEND_ONLY_SQL = """
CREATE OR REPLACE FUNCTION corespond_audit_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only: % refused on core_auditevent', TG_OP;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER auditevent_append_only BEFORE UPDATE OR DELETE ON core_auditevent
    FOR EACH ROW EXECUTE FUNCTION corespond_audit_append_only();
"""
DROP_SQL = """
DROP TRIGGER IF EXISTS auditevent_append_only ON core_auditevent;
DROP FUNCTION IF EXISTS corespond_audit_append_only();
"""


def chain_existing(apps: Any, schema_editor: Any) -> None:
    from corespond.core.audit import GENESIS, entry_hash

    AuditEvent = apps.get_model("core", "AuditEvent")
    AuditHead = apps.get_model("core", "AuditHead")
    prev, seq = GENESIS, 0
    for event in AuditEvent.objects.order_by("at", "id"):
        seq += 1
        event.seq, event.prev_hash = seq, prev
        event.hash = entry_hash(
            seq=seq,
            at=event.at,
            user_id=event.user_id,
            system_reason=event.system_reason,
            action=event.action,
            model=event.model,
            object_ids=event.object_ids,
            purpose=event.purpose,
            remote_addr=event.remote_addr,
            prev_hash=prev,
        )
        event.save(update_fields=["seq", "prev_hash", "hash"])
        prev = event.hash
    AuditHead.objects.update_or_create(pk=1, defaults={"seq": seq, "hash": prev})


def append_only(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(APPEND_ONLY_SQL, params=None)


def drop_append_only(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_SQL, params=None)


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]

    operations = [
        migrations.CreateModel(
            name="AuditHead",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("seq", models.PositiveBigIntegerField(default=0)),
                ("hash", models.CharField(max_length=64)),
            ],
        ),
        migrations.AlterModelOptions(name="auditevent", options={"ordering": ["-seq"]}),
        migrations.AddField(
            model_name="auditevent",
            name="hash",
            field=models.CharField(default="", max_length=64),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="auditevent",
            name="prev_hash",
            field=models.CharField(default="", max_length=64),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="auditevent",
            name="seq",
            field=models.PositiveBigIntegerField(null=True),
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="at",
            field=models.DateTimeField(db_index=True),
        ),
        migrations.RunPython(chain_existing, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="auditevent",
            name="seq",
            field=models.PositiveBigIntegerField(unique=True),
        ),
        migrations.RunPython(append_only, drop_append_only),
    ]
