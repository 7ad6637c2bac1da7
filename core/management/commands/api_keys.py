"""manage.py api_keys create NAME | revoke PREFIX | list"""

from django.core.management.base import BaseCommand, CommandError

from core.services import api_keys


class Command(BaseCommand):
    help = "Manage API keys (used when API_KEY_REQUIRED=true). Keys are stored hashed."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="create a key and print it once")
        create.add_argument("name", help="who the key is for")
        create.add_argument("--days", type=int, default=None, help="expire after N days")
        revoke = sub.add_parser("revoke", help="revoke a key by its prefix")
        revoke.add_argument("prefix")
        sub.add_parser("list", help="list keys (prefixes only; keys are not recoverable)")

    def handle(self, *args, action: str, **options):
        if action == "create":
            prefix, key = api_keys.create_key(options["name"], valid_days=options["days"])
            self.stdout.write(f"prefix: {prefix}")
            self.stdout.write(f"key:    {key}")
            self.stdout.write("Store the key now: only its hash is kept.")
        elif action == "revoke":
            if not api_keys.revoke_key(options["prefix"]):
                raise CommandError(f"no active key with prefix {options['prefix']!r}")
            self.stdout.write(f"revoked {options['prefix']}")
        else:
            keys = api_keys.list_keys()
            if not keys:
                self.stdout.write(
                    "no API keys yet; create one with: python manage.py api_keys create NAME"
                )
            for info in keys:
                state = "revoked" if info.revoked else "active"
                expiry = info.expiry_date.isoformat() if info.expiry_date else "never"
                self.stdout.write(f"{info.prefix}  {state:8} expires {expiry:25} {info.name}")
