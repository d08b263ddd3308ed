from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from inventory.demo import DEMO_PASSWORD, DEMO_USERNAME, seed_demo
from inventory.models import PortToken


class Command(BaseCommand):
    help = "Create deterministic, realistic demo data and a demo login."

    def add_arguments(self, parser):
        parser.add_argument("--tokens", type=int, required=True, help="how many port tokens")
        parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="do nothing (but print the login) when the database already has tokens",
        )

    def handle(self, *args, tokens, seed, if_empty, **options):
        if tokens < 1:
            raise CommandError("--tokens must be at least 1.")
        if not 0 <= seed <= 99:
            raise CommandError("--seed must be between 0 and 99.")
        if if_empty and PortToken.objects.exists():
            self.stdout.write("The database already has tokens; demo data not loaded again.")
        else:
            if PortToken.objects.exists():
                raise CommandError(
                    "The database already has tokens; demo data goes into an empty database "
                    "(or pass --if-empty to keep what is there)."
                )
            result = seed_demo(tokens=tokens, seed=seed)
            self.stdout.write(
                self.style.SUCCESS(
                    f"Created {result.tokens} tokens in {result.organizations} organizations."
                )
            )
        if not get_user_model().objects.filter(username=DEMO_USERNAME).exists():
            # The tokens came from elsewhere (an import): a login we never made would fail.
            self.stdout.write("No demo login: this database was not filled by seed_demo.")
            return
        self.stdout.write(
            f"Demo login: username {DEMO_USERNAME!r}, password {DEMO_PASSWORD!r} "
            "(manages 3 organizations, views 3 more)."
        )
