"""ASGI entry point: `uvicorn corespond.asgi:application` (docs/deployment.md)."""

import os
import warnings

from django.core.asgi import get_asgi_application

# WhiteNoise hands Django static files as synchronous iterators; under ASGI Django reads them in
# a worker thread and warns each time. The files are small and cached by browsers and proxies.
warnings.filterwarnings("ignore", message="StreamingHttpResponse must consume synchronous")

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "corespond.settings")
application = get_asgi_application()
