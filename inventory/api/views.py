"""The API's endpoints. Thin, as the pages' views are: read the request, ask the same
selectors and services the pages ask, write JSON.

Each view opts out of the site's login redirect (`LoginRequiredMiddleware`): DRF's
authentication decides, and an anonymous caller gets a JSON 401, not the login page.
What the schema says of each view is in `inventory.api.schema`.
"""

from django.contrib.auth.decorators import login_not_required
from django.http import JsonResponse
from django.urls import Resolver404, resolve, reverse
from rest_framework import status
from rest_framework.generics import GenericAPIView
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from inventory.api import schema
from inventory.api.errors import BadRequest, error
from inventory.api.pagination import page_size, token_page
from inventory.api.serializers import (
    TOKEN_PATHS,
    OrganizationSerializer,
    PortTokenSerializer,
    TransferDetailSerializer,
    TransferRequestSerializer,
    TransferReviewSerializer,
    TransferSerializer,
    organization_ref,
    pacific_timestamp,
)
from inventory.api.state import LIST_PIECES, view_state
from inventory.api.throttling import BulkRateThrottle, UserRateThrottle
from inventory.exports import ExportError, parse_export_request
from inventory.exports.request import FORMATS
from inventory.filtersets import TransferHistoryFilter
from inventory.models import PortToken
from inventory.preferences import saved_column_keys
from inventory.selectors import (
    OrganizationLabel,
    matching_tokens,
    organization_names,
    organizations_with_token_counts,
    token_for_user,
    token_transfers,
    transfer_for_user,
    transfer_items,
)
from inventory.transfer_history import source_names
from inventory.transfers import TransferRefused, review_transfer, transfer_tokens
from inventory.views.exports import port_token_export


class AnsweredByDrf:
    """Every endpoint: answered by DRF's authentication, never the login redirect."""

    @classmethod
    def as_view(cls, **initkwargs):
        return login_not_required(super().as_view(**initkwargs))


class ApiView(AnsweredByDrf, APIView):
    pass


class ApiGenericView(AnsweredByDrf, GenericAPIView):
    pass


class HistoryPagination(PageNumberPagination):
    """Numbered pages of organizations or transfers (few, and newest first), as on the
    history page; a bad `page_size` is a 400 as on the token list."""

    page_size = 25
    page_size_query_param = "page_size"
    max_page_size = 100

    def get_page_size(self, request):
        return page_size(request.query_params, default=self.page_size, most=self.max_page_size)

    def get_schema_operation_parameters(self, view):
        return schema.history_page_parameters(self.page_size, self.max_page_size)


def _absolute(request, name: str, *args) -> str:
    return request.build_absolute_uri(reverse(name, args=args))


# --- port tokens ---------------------------------------------------------------------


class PortTokenList(ApiView):
    @schema.token_list
    def get(self, request):
        state = view_state(request.query_params)
        matching = matching_tokens(request.user, state)
        page = token_page(matching, state, request, TOKEN_PATHS)
        return Response(
            {
                "count": matching.order_by().count(),
                "next": page.next_url,
                "previous": page.previous_url,
                "results": PortTokenSerializer(page.rows, many=True).data,
            }
        )


class PortTokenExport(ApiView):
    throttle_classes = [UserRateThrottle, BulkRateThrottle]

    @schema.token_export
    def get(self, request):
        saved = saved_column_keys(request.user)
        scope = (request.query_params.get("scope") or "visible").strip().lower()
        pieces = LIST_PIECES + (("columns",) if scope == "visible" else ())
        view_state(request.query_params, pieces, saved)
        try:
            parse_export_request(request.query_params, saved)
        except ExportError as refused:
            file_format = (request.query_params.get("format") or "").strip().lower()
            param = "scope" if file_format in FORMATS else "format"
            raise BadRequest(
                [error(param, request.query_params.get(param), str(refused))]
            ) from None
        # The page's own export: the same request parsing, log and stream.
        return port_token_export(request._request)


class PortTokenDetail(ApiView):
    @schema.token_detail
    def get(self, request, token_sn):
        token = token_for_user(request.user, token_sn)
        row = PortToken.objects.filter(pk=token.pk).values(*TOKEN_PATHS).get()
        reader = organization_names(request.user)
        items, unreadable = token_transfers(request.user, token)
        data = PortTokenSerializer(row).data
        data["transfers"] = [
            {
                "id": item.transfer_id,
                "created_at": pacific_timestamp(item.transfer.created_at),
                "created_by": item.transfer.created_by.get_username(),
                "from_org": organization_ref(reader.label(item.from_organization)),
                "to_org": organization_ref(reader.label(item.transfer.to_organization)),
                "note": item.transfer.note,
                "url": _absolute(request, "api:transfer", item.transfer_id),
            }
            for item in items
        ]
        data["other_transfers"] = unreadable
        return Response(data)


# --- organizations -------------------------------------------------------------------


class OrganizationList(ApiGenericView):
    serializer_class = OrganizationSerializer
    pagination_class = HistoryPagination

    def get_queryset(self):
        return organizations_with_token_counts(self.request.user)

    @schema.organization_list
    def get(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(OrganizationSerializer(page, many=True).data)


# --- transfers -----------------------------------------------------------------------


class TransferList(ApiGenericView):
    serializer_class = TransferSerializer
    pagination_class = HistoryPagination

    def get_throttles(self):
        if self.request.method == "POST":
            return [UserRateThrottle(), BulkRateThrottle()]
        return super().get_throttles()

    @schema.transfer_list
    def get(self, request):
        history = TransferHistoryFilter(request.query_params, user=request.user)
        if history.is_bound and not history.is_valid():
            raise BadRequest(
                [
                    error(name, request.query_params.get(name), message)
                    for name, messages in history.form.errors.items()
                    for message in messages
                ]
            )
        page = self.paginate_queryset(history.qs)
        reader = organization_names(request.user)
        names = source_names((record.pk for record in page), reader)
        return self.get_paginated_response(
            TransferSerializer(
                [_transfer(request, record, reader, names) for record in page], many=True
            ).data
        )

    @schema.transfer_create
    def post(self, request):
        body = TransferRequestSerializer(data=request.data)
        if not body.is_valid():
            raise BadRequest(
                [
                    error(
                        name, request.data.get(name) if isinstance(request.data, dict) else None, m
                    )
                    for name, messages in _flat_errors(body.errors)
                    for m in messages
                ]
            )
        arguments = {
            "user": request.user,
            "serials": body.validated_data["token_sns"],
            "to_org": body.validated_data["to_org"],
            "note": body.validated_data["note"],
        }
        if body.validated_data["dry_run"]:
            review = review_transfer(**arguments)
            _raise_field_errors(review)
            return Response(_review_data(review))
        try:
            record = transfer_tokens(**arguments)
        except TransferRefused as refused:
            _raise_field_errors(refused.review)
            return Response(_review_data(refused.review), status=status.HTTP_400_BAD_REQUEST)
        url = _absolute(request, "api:transfer", record.pk)
        return Response(
            _transfer_detail(request, transfer_for_user(request.user, record.pk)),
            status=status.HTTP_201_CREATED,
            headers={"Location": url},
        )


def _flat_errors(errors) -> list[tuple[str, list[str]]]:
    """DRF's error dict as (field, messages); a list field's per-item errors joined."""
    flat = []
    for name, messages in errors.items():
        if isinstance(messages, dict):  # {index: [messages]} for items of a list
            flat.append(
                (name, [f"Item {index}: {' '.join(map(str, m))}" for index, m in messages.items()])
            )
        else:
            flat.append((name, [str(message) for message in messages]))
    return flat


def _raise_field_errors(review) -> None:
    """The transfer's fields (destination, note, the list itself) as a 400, if wrong."""
    if review.errors:
        raise BadRequest(
            [
                error(name, None, message)
                for name, messages in review.errors.items()
                for message in messages
            ]
        )


def _review_data(review) -> dict:
    return TransferReviewSerializer(
        {
            "movable": [
                {
                    "token_sn": token.serial,
                    "cloud_plan": token.cloud_plan,
                    "status": token.status,
                    "from_org": OrganizationLabel(token.from_name, token.from_org_id),
                }
                for token in review.movable
            ],
            "problems": [
                {"token_sn": problem.serial, "reason": problem.reason}
                for problem in review.problems
            ],
        }
    ).data


def _transfer(request, record, reader, source_names_by_pk) -> dict:
    """One transfer of the history, its organizations as `reader` may see them named."""
    return {
        "id": record.pk,
        "created_at": pacific_timestamp(record.created_at),
        "created_by": record.created_by.get_username(),
        "to_org": reader.label(record.to_organization),
        "from_orgs": source_names_by_pk.get(record.pk, []),
        "note": record.note,
        "token_count": record.token_count,
        "url": _absolute(request, "api:transfer", record.pk),
    }


def _transfer_detail(request, record) -> dict:
    reader = organization_names(request.user)
    items = list(transfer_items(record, request.user, reader=reader))
    return TransferDetailSerializer(
        {
            **_transfer(request, record, reader, source_names([record.pk], reader)),
            "tokens": [
                {
                    "token_sn": item.token.serial,
                    "cloud_plan": item.token.part.cloud_plan,
                    "from_org": reader.label(item.from_organization),
                }
                for item in items
            ],
            "hidden_count": record.token_count - len(items),
        }
    ).data


class TransferDetail(ApiView):
    @schema.transfer_detail
    def get(self, request, pk):
        return Response(_transfer_detail(request, transfer_for_user(request.user, pk)))


@login_not_required
def not_found(request, *args, **kwargs):
    """Any other path under /api/: a JSON 404, as every API error is JSON; a path that
    only lacks its final slash is told so (a redirect would lose a POST's body)."""
    detail = "Not found."
    if not request.path_info.endswith("/"):
        match = resolve_path(request.path_info + "/")
        if match is not None and match.func is not not_found:
            detail = f"Not found. Did you mean {request.path}/ (with the final slash)?"
    return JsonResponse({"detail": detail}, status=404)


def resolve_path(path: str):
    try:
        return resolve(path)
    except Resolver404:
        return None
