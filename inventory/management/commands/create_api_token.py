from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from inventory.api.keys import KeyProblem, create_api_key


class Command(BaseCommand):
    help = (
        "Create a personal API key for a user and print it on one line. Only a hash is "
        "stored: the key cannot be shown again."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", default="Command line", help="what will use the key")
        parser.add_argument(
            "--expires-days", type=int, default=None, help="days until it stops working"
        )

    def handle(self, *args, username, name, expires_days, **options):
        try:
            user = get_user_model().objects.get(username=username)
        except get_user_model().DoesNotExist:
            raise CommandError(f"No user named {username!r}.") from None
        if not user.is_active:
            raise CommandError(f"{username!r} is inactive; a key of theirs would not work.")
        try:
            _, key = create_api_key(user=user, name=name, expires_days=expires_days)
        except KeyProblem as problem:
            raise CommandError(str(problem)) from None
        self.stdout.write(key)
