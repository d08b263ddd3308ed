"""The export route: parse the request, start the logged export, stream it."""

from django.http import HttpResponseBadRequest, StreamingHttpResponse
from django.views.decorators.http import require_GET

from inventory.exports import ExportError, parse_export_request, start_export
from inventory.middleware import lift_statement_timeout
from inventory.preferences import saved_column_keys


@require_GET
def port_token_export(request):
    """The table's rows (all pages) as a streamed CSV or XLSX download."""
    try:
        export_request = parse_export_request(request.GET, saved_column_keys(request.user))
    except ExportError as error:
        return HttpResponseBadRequest(str(error), content_type="text/plain; charset=utf-8")
    # A large export legitimately streams for a minute: not bound by the page's timeout.
    lift_statement_timeout()
    export = start_export(
        user=request.user,
        export_request=export_request,
        query_string=request.META.get("QUERY_STRING", ""),
    )
    response = StreamingHttpResponse(export.chunks, content_type=export.content_type)
    response["Content-Disposition"] = f'attachment; filename="{export.filename}"'
    response["Cache-Control"] = "no-store"
    # Ask a proxy (nginx) to pass the bytes on as they come instead of buffering the file.
    response["X-Accel-Buffering"] = "no"
    return response
