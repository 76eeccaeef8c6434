import django.db.models.deletion
from django.db import migrations, models


def fill_program(apps, schema_editor):
    # Historical models use plain managers: this runs outside the access gate by design.
    Grant = apps.get_model("sharing", "BreakGlassGrant")
    Person = apps.get_model("people", "Person")
    programs = dict(Person.objects.values_list("pk", "program_id"))
    for grant in Grant.objects.all():
        grant.program_id = programs[grant.person_id]
        grant.save(update_fields=["program"])


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0001_initial"),
        ("people", "0003_safetyflag"),
        ("sharing", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="breakglassgrant",
            name="program",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="core.program",
            ),
        ),
        migrations.RunPython(fill_program, migrations.RunPython.noop),
    ]
