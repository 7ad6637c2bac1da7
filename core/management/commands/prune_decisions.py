"""manage.py prune_decisions --older-than DAYS: the one way rows leave the decision log."""

from django.core.management.base import BaseCommand, CommandError

from core.services import decisions


class Command(BaseCommand):
    help = (
        "Delete decisions (loan_decisions) made more than DAYS days ago: the one path past the "
        "log's append-only guard. Without --older-than nothing is deleted."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--older-than",
            type=int,
            metavar="DAYS",
            help="Delete the decisions made more than DAYS days ago (DAYS >= 1).",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Only count the decisions that would go."
        )

    def handle(self, *args, older_than: int | None = None, dry_run: bool = False, **options):
        if older_than is None:
            raise CommandError("nothing pruned: give --older-than DAYS (decisions are kept)")
        if older_than < 1:
            raise CommandError("--older-than must be at least 1 day")
        count = decisions.prune_decisions(older_than, dry_run=dry_run)
        verb = "would be deleted" if dry_run else "deleted"
        self.stdout.write(
            self.style.SUCCESS(f"{count} decisions older than {older_than} days {verb}")
        )
