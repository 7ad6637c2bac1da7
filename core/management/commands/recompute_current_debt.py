"""manage.py recompute_current_debt: repair customers.current_debt from the loans."""

from django.core.management.base import BaseCommand, CommandError

from core.services import maintenance


class Command(BaseCommand):
    help = "Recompute customers.current_debt from active loans (e.g. after a restore)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--check", action="store_true", help="Only report drift; exit 1 when there is any."
        )

    def handle(self, *args, check: bool = False, **options):
        if check:
            drift = maintenance.current_debt_drift()
            self.stdout.write(f"{drift} customers with drifted current_debt")
            if drift:
                raise CommandError("current_debt has drifted; run without --check to repair")
            return
        fixed = maintenance.recompute_current_debt()
        self.stdout.write(self.style.SUCCESS(f"current_debt corrected for {fixed} customers"))
