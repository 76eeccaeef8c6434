"""ASGI entry point: `uvicorn corespond.asgi:application` (docs/deployment.md)."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "corespond.settings")
application = get_asgi_application()
