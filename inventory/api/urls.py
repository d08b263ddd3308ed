"""/api/: the schema, its docs page, and version 1 of the API.

The schema and the docs page need no sign-in: they describe the API, not anyone's data,
and a script or a colleague without an account can read them. Every /api/v1/ endpoint
needs a key or a session.
"""

from csp.decorators import csp_update
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from inventory.api import views
from inventory.replicas import reads_from_replica

app_name = "api"


def docs_page(view):
    """The docs page: no sign-in, and Swagger UI's own icons, which its stylesheet and
    script draw as `data:` images, allowed on this page alone (scripts and styles stay
    this site's files only)."""
    return login_not_required(csp_update({"img-src": ["data:"]})(view))


# The reads the pages also send to the read replica (the table, its counts, the export,
# one token) may be answered there; transfers read and write the primary, as on the pages.
v1 = [
    path("port-tokens/", reads_from_replica(views.PortTokenList.as_view()), name="port_tokens"),
    path(
        "port-tokens/export/",
        reads_from_replica(views.PortTokenExport.as_view()),
        name="port_tokens_export",
    ),
    path(
        "organizations/",
        reads_from_replica(views.OrganizationList.as_view()),
        name="organizations",
    ),
    path("transfers/", views.TransferList.as_view(), name="transfers"),
    path("transfers/<int:pk>/", views.TransferDetail.as_view(), name="transfer"),
    # After every fixed route under port-tokens/, as on the pages: a Token S/N may hold "/".
    path(
        "port-tokens/<path:token_sn>/",
        reads_from_replica(views.PortTokenDetail.as_view()),
        name="port_token",
    ),
]

urlpatterns = [
    path(
        "schema/",
        login_not_required(
            SpectacularAPIView.as_view(authentication_classes=[], permission_classes=[])
        ),
        name="schema",
    ),
    path(
        "docs/",
        docs_page(
            SpectacularSwaggerSplitView.as_view(
                url_name="api:schema",
                template_name="api/docs.html",
                authentication_classes=[],
                permission_classes=[],
            )
        ),
        name="docs",
    ),
    path("v1/", include(v1)),
    re_path(r"", views.not_found),
]
