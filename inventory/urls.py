from django.urls import path

from inventory.views import exports, tokens, transfers

app_name = "inventory"

urlpatterns = [
    path("organizations/", tokens.organization_list, name="organizations"),
    path("inventory/port-tokens/", tokens.port_token_list, name="port_tokens"),
    path("inventory/port-tokens/export/", exports.port_token_export, name="port_tokens_export"),
    path("inventory/port-tokens/transfer/", transfers.transfer_form, name="transfer"),
    path("inventory/transfers/", transfers.transfer_list, name="transfers"),
    path("inventory/transfers/<int:pk>/", transfers.transfer_detail, name="transfer_detail"),
]
