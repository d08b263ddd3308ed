from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import RedirectView

from inventory.views import accounts, api_tokens

# Django's auth routes, listed so that each is a decision: the password reset pages exist
# only while email is configured (they answer 404 otherwise, checked per request).
account_urlpatterns = [
    path("login/", accounts.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password_change/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path(
        "password_change/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path("password_reset/", accounts.password_reset, name="password_reset"),
    path("password_reset/done/", accounts.password_reset_done, name="password_reset_done"),
    path(
        "reset/<uidb64>/<token>/",
        accounts.password_reset_confirm,
        name="password_reset_confirm",
    ),
    path("reset/done/", accounts.password_reset_complete, name="password_reset_complete"),
    path("api-tokens/", api_tokens.api_token_list, name="api_tokens"),
    path("api-tokens/<int:pk>/revoke/", api_tokens.api_token_revoke, name="api_token_revoke"),
]

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="inventory:port_tokens"), name="home"),
    path("accounts/", include(account_urlpatterns)),
    path("admin/", admin.site.urls),
    path("api/", include("inventory.api.urls")),
    path("", include("inventory.urls")),
]
