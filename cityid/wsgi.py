import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cityid.settings")
application = get_wsgi_application()

from cityid.vault.dbfile import make_private_database  # noqa: E402 (needs the settings)

make_private_database()
