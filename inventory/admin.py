from django.contrib import admin

from inventory.api.keys import revoke_api_keys
from inventory.models import (
    ApiKey,
    CloudPlanPart,
    ColumnPreference,
    Customer,
    Evse,
    ExportLog,
    Membership,
    Order,
    Organization,
    PortToken,
    SavedView,
    Station,
    Transfer,
    TransferItem,
)


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ["org_id", "name"]
    search_fields = ["org_id", "name"]
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "organization", "role"]
    list_filter = ["role"]
    search_fields = ["user__username", "organization__org_id", "organization__name"]
    autocomplete_fields = ["user", "organization"]


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ["customer_id", "name"]
    search_fields = ["customer_id", "name"]


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = ["sales_order", "purchase_order", "customer", "order_date", "ship_date"]
    search_fields = ["sales_order", "purchase_order", "customer_reference"]
    autocomplete_fields = ["customer"]


@admin.register(CloudPlanPart)
class CloudPlanPartAdmin(admin.ModelAdmin):
    list_display = ["part_no", "cloud_plan", "term_years", "port_type", "token_type"]
    search_fields = ["part_no", "cloud_plan"]


@admin.register(Station)
class StationAdmin(admin.ModelAdmin):
    list_display = ["serial", "name", "organization"]
    search_fields = ["serial", "name"]
    autocomplete_fields = ["organization"]


@admin.register(Evse)
class EvseAdmin(admin.ModelAdmin):
    list_display = ["evse_id", "station"]
    search_fields = ["evse_id"]
    autocomplete_fields = ["station"]


@admin.register(PortToken)
class PortTokenAdmin(admin.ModelAdmin):
    list_display = ["serial", "part", "organization", "evse", "status"]
    list_filter = ["status"]
    search_fields = ["serial"]
    autocomplete_fields = ["part", "order", "organization", "evse"]
    list_select_related = ["part", "organization", "evse"]


@admin.register(ColumnPreference)
class ColumnPreferenceAdmin(admin.ModelAdmin):
    list_display = ["user", "column_keys", "updated_at"]


class ReadOnlyAdmin(admin.ModelAdmin):
    """History and audit records: shown, never added, changed or deleted."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class TransferItemInline(admin.TabularInline):
    model = TransferItem
    extra = 0
    can_delete = False
    readonly_fields = ["token", "from_organization"]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Transfer)
class TransferAdmin(ReadOnlyAdmin):
    list_display = ["id", "created_at", "created_by", "to_organization", "token_count"]
    inlines = [TransferItemInline]


@admin.register(TransferItem)
class TransferItemAdmin(ReadOnlyAdmin):
    list_display = ["transfer", "token", "from_organization"]


@admin.register(ExportLog)
class ExportLogAdmin(ReadOnlyAdmin):
    """The export log, for auditors: read-only, how each export ended and why."""

    list_display = [
        "created_at",
        "user",
        "file_format",
        "scope",
        "row_count",
        "outcome",
        "failure",
        "completed_at",
        "query_string",
    ]
    list_filter = ["outcome", "file_format", "scope"]
    search_fields = ["user__username"]
    list_select_related = ["user"]
    date_hierarchy = "created_at"


@admin.register(SavedView)
class SavedViewAdmin(ReadOnlyAdmin):
    """Saved views are their owners' to change (on the site, under the rules of
    inventory.saved_views); an administrator may list them and delete one."""

    list_display = ["name", "owner", "shared_with", "is_default", "updated_at", "query"]
    list_filter = ["is_default", "shared_with"]
    search_fields = ["name", "owner__username"]
    list_select_related = ["owner", "shared_with"]

    def has_delete_permission(self, request, obj=None):
        return admin.ModelAdmin.has_delete_permission(self, request, obj)


@admin.register(ApiKey)
class ApiKeyAdmin(ReadOnlyAdmin):
    """API keys are made by their users (the API keys page, or `create_api_token`), the
    only moment a key is shown; an administrator may list them and revoke them."""

    list_display = [
        "name",
        "user",
        "prefix",
        "created_at",
        "expires_at",
        "last_used_at",
        "revoked_at",
    ]
    list_filter = ["revoked_at"]
    search_fields = ["name", "prefix", "user__username"]
    list_select_related = ["user"]
    exclude = ["key_hash"]
    actions = ["revoke"]

    @admin.action(description="Revoke the selected API keys")
    def revoke(self, request, queryset):
        count = revoke_api_keys(queryset)
        self.message_user(request, f"Revoked {count} API key{'s' if count != 1 else ''}.")
