import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    # Apart from 0002 so that PostgreSQL alters the column in a transaction of its own,
    # after the rows were filled.
    dependencies = [("sharing", "0002_breakglassgrant_program")]

    operations = [
        migrations.AlterField(
            model_name="breakglassgrant",
            name="program",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT, related_name="+", to="core.program"
            ),
        ),
    ]
