from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from inventory.importing import ImportFailed, import_tokens


class Command(BaseCommand):
    help = (
        "Import port tokens from a CSV or XLSX file whose header row holds the 25 column "
        "labels (any order). Upserts by Token S/N, all or nothing; every bad row is "
        "reported by line number (the header is line 1). A row that would move an "
        "existing token to another organization is a bad row, unless --transfer-as is "
        "given."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="a .csv (UTF-8) or .xlsx file")
        parser.add_argument(
            "--transfer-as",
            metavar="USERNAME",
            help=(
                "let rows move existing tokens to another organization, and record each "
                "move in the transfer history as a transfer by this (active) user, noted "
                "'Imported from FILE'. The transfer rules (managers of both organizations, "
                "New or Available tokens on no EVSE) are not applied: whoever runs this "
                "command answers for the import, and the history names the user given."
            ),
        )

    def handle(self, *args, file, transfer_as, **options):
        user = None if transfer_as is None else self._active_user(transfer_as)
        try:
            result = import_tokens(path=file, transfer_as=user)
        except ImportFailed as failure:
            raise CommandError(failure.report()) from None
        self.stdout.write(self.style.SUCCESS(result.summary()))

    def _active_user(self, username: str):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(
                f"--transfer-as: no user is named {username!r}; nothing was imported."
            )
        if not user.is_active:
            raise CommandError(
                f"--transfer-as: user {username!r} is inactive; nothing was imported."
            )
        return user
