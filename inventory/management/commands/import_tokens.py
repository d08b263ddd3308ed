from django.core.management.base import BaseCommand, CommandError

from inventory.importing import ImportFailed, import_tokens


class Command(BaseCommand):
    help = (
        "Import port tokens from a CSV or XLSX file whose header row holds the 25 column "
        "labels (any order). Upserts by Token S/N, all or nothing; every bad row is "
        "reported by line number (the header is line 1)."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="a .csv (UTF-8) or .xlsx file")

    def handle(self, *args, file, **options):
        try:
            result = import_tokens(path=file)
        except ImportFailed as failure:
            raise CommandError(failure.report()) from None
        self.stdout.write(self.style.SUCCESS(result.summary()))
