"""manage.py close_matured_loans: run the maturity sweep now (Celery beat runs it daily)."""

from django.core.management.base import BaseCommand

from core.services import loans


class Command(BaseCommand):
    help = "Mark loans whose end_date has come as inactive."

    def handle(self, *args, **options):
        closed = loans.close_matured_loans()
        self.stdout.write(self.style.SUCCESS(f"closed {closed} matured loans"))
