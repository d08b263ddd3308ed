from django.urls import path

from inventory.replicas import reads_from_replica
from inventory.views import (
    export_history,
    exports,
    renewals,
    saved_views,
    token_page,
    tokens,
    transfers,
)

app_name = "inventory"

# Pages that may read from the read replica (a moment behind the primary): the table, its
# counts, the exports, the forecast, one token. Every other route reads the primary.

urlpatterns = [
    path("organizations/", reads_from_replica(tokens.organization_list), name="organizations"),
    path("inventory/port-tokens/", reads_from_replica(tokens.port_token_list), name="port_tokens"),
    path(
        "inventory/port-tokens/export/",
        reads_from_replica(exports.port_token_export),
        name="port_tokens_export",
    ),
    path("inventory/port-tokens/transfer/", transfers.transfer_form, name="transfer"),
    path("inventory/transfers/", transfers.transfer_list, name="transfers"),
    path("inventory/transfers/<int:pk>/", transfers.transfer_detail, name="transfer_detail"),
    path("inventory/renewals/", reads_from_replica(renewals.renewals_forecast), name="renewals"),
    path("inventory/exports/", export_history.export_history, name="export_history"),
    path("inventory/views/", saved_views.saved_view_list, name="saved_views"),
    path("inventory/views/<int:pk>/", saved_views.saved_view_open, name="saved_view"),
    path("inventory/views/<int:pk>/edit/", saved_views.saved_view_edit, name="saved_view_edit"),
    path(
        "inventory/views/<int:pk>/delete/", saved_views.saved_view_delete, name="saved_view_delete"
    ),
    path(
        "inventory/views/<int:pk>/default/",
        saved_views.saved_view_default,
        name="saved_view_default",
    ),
    path(
        "inventory/views/default/clear/",
        saved_views.saved_view_default_clear,
        name="saved_view_default_clear",
    ),
]

# One token's page, added after the list above whatever it grows to hold. A Token S/N may
# hold any character but NUL, "/" included, hence `path:`; so this route matches anything
# under port-tokens/ and must come after every fixed route there (export/, transfer/...):
# those win, and a token whose serial is "export" or "transfer" has no page at this URL.
urlpatterns += [
    path(
        "inventory/port-tokens/<path:token_sn>/",
        reads_from_replica(token_page.token_detail),
        name="token_detail",
    ),
]
