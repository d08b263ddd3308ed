from django.http import Http404


def port_token_export(request):
    raise Http404("Exports are not available yet.")
