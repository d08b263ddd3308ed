from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from inventory.models import Membership, Organization


class Command(BaseCommand):
    help = "Give a user access to an organization as viewer or manager (replaces the old role)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("org_id", help="the organization's Org ID")
        # Validated by hand, not with `choices`, so a bad role gets our own message.
        parser.add_argument("--role", required=True, help="viewer or manager")

    def handle(self, *args, username, org_id, role, **options):
        role = role.strip().lower()
        if role not in Membership.Role.values:
            raise CommandError(f"Unknown role {role!r}: use viewer or manager.")
        try:
            user = get_user_model().objects.get(username=username)
        except get_user_model().DoesNotExist:
            raise CommandError(f"No user named {username!r}.") from None
        try:
            organization = Organization.objects.get(org_id=org_id)
        except Organization.DoesNotExist:
            raise CommandError(f"No organization with Org ID {org_id!r}.") from None
        membership, created = Membership.objects.update_or_create(
            user=user, organization=organization, defaults={"role": role}
        )
        verb = "Granted" if created else "Changed to"
        self.stdout.write(
            self.style.SUCCESS(f"{verb} {role} of {organization.name} ({org_id}) for {username}.")
        )
