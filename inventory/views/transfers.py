from django.http import Http404


def transfer_form(request):
    raise Http404("Transfers are not available yet.")


def transfer_list(request):
    raise Http404("Transfers are not available yet.")


def transfer_detail(request, pk):
    raise Http404("Transfers are not available yet.")
