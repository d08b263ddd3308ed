"""What the OpenAPI schema (`/api/schema/`, drf-spectacular) says about each endpoint:
its parameters, with the filter grammar spelled out from the view state's own limits,
its answers, and examples. The views wear these as decorators.
"""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema

from inventory.api.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE
from inventory.api.serializers import (
    DetailSerializer,
    ErrorsSerializer,
    OrganizationSerializer,
    PortTokenDetailSerializer,
    PortTokenPageSerializer,
    TransferDetailSerializer,
    TransferRequestSerializer,
    TransferReviewSerializer,
    TransferSerializer,
)
from inventory.columns import COLUMNS
from inventory.quick_search import MAX_SEARCH_LENGTH, MAX_SEARCH_WORDS
from inventory.viewstate import MAX_FILTERS, MAX_LIST_ITEMS, MAX_VALUE_LENGTH, OPERATORS


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "inventory.api.authentication.ApiKeyAuthentication"
    name = "apiKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": (
                "A personal API key, sent as `Authorization: Token <key>`. Create one on the "
                "page /accounts/api-tokens/ (shown once) or with `python manage.py "
                "create_api_token USERNAME`. In this page's Authorize dialog enter "
                "`Token <key>`, the word Token included."
            ),
        }


_COLUMN_KEYS = ", ".join(f"`{column.key}`" for column in COLUMNS)
_TEMPORAL_KEYS = ", ".join(f"`{column.key}`" for column in COLUMNS if column.is_temporal)
_OPERATORS = ", ".join(f"`{key}` ({operator.phrase})" for key, operator in OPERATORS.items())

FILTER_GRAMMAR = f"""One filter row, `<column key>:<operator>:<value>`; repeat the parameter
for more rows (at most {MAX_FILTERS}). Split on the first two colons only: the value may hold
colons. Combined by `match` (all rows, or any).

Column keys: {_COLUMN_KEYS}.

Operators: {_OPERATORS}.

- `contains`, `not_contains`, `is` compare case-insensitively with the text the table shows
  (dates `YYYY-MM-DD`, timestamps `YYYY-MM-DD HH:MM` in Pacific Time), so `contains:2025-03`
  works on a date column. `not_contains` keeps rows whose field is empty; `is` with an empty
  value matches empty fields.
- `in`: a `|`-separated list (up to {MAX_LIST_ITEMS:,} items); a row matches when its field
  is any of them, under the rules of `is`.
- `empty`, `not_empty`: the value is ignored and may be blank (`ship_date:empty:`).
- `before`, `after`, `between` only on dates and timestamps ({_TEMPORAL_KEYS}): a Pacific
  day `YYYY-MM-DD`; `between` takes `YYYY-MM-DD..YYYY-MM-DD`, both days included. On a
  timestamp `is:D` is the whole Pacific day D.

A value is at most {MAX_VALUE_LENGTH} characters. A row that cannot be used (unknown column or
operator, a bad day, a reversed range...) makes the request a 400 naming it."""

#: What a filter row looks like (whether its value suits its column is for the parser).
#: A blank row is no filter, as on the page.
_FILTER_PATTERN = (
    "^\\s*$|^\\s*("
    + "|".join(column.key for column in COLUMNS)
    + ")\\s*:\\s*("
    + "|".join(OPERATORS)
    + ")\\s*:[^\\x00]*$"
)

_STATE_PARAMETERS = [
    OpenApiParameter(
        "filter",
        OpenApiTypes.STR,
        pattern=_FILTER_PATTERN,
        many=True,
        explode=True,
        description=FILTER_GRAMMAR,
        examples=[
            OpenApiExample("Status", value=["status:is:Available"]),
            OpenApiExample(
                "Plans ending in March 2026 at Acme",
                value=["org_name:contains:acme", "plan_end_date:between:2026-03-01..2026-03-31"],
            ),
            OpenApiExample("Any of some serials", value=["token_sn:in:TKN-0001|TKN-0002"]),
        ],
    ),
    OpenApiParameter(
        "match",
        OpenApiTypes.STR,
        enum=["all", "any"],
        description="`all` (default): a token matches every filter; `any`: at least one.",
    ),
    OpenApiParameter(
        "q",
        OpenApiTypes.STR,
        description=(
            'Quick search: words (a `"quoted phrase"` is one word; at most '
            f"{MAX_SEARCH_WORDS} words, {MAX_SEARCH_LENGTH} characters), each contained, "
            "case-insensitively, in at least one text column (all but the dates, timestamps "
            "and Term). Combined with the filters by AND whatever `match` says."
        ),
        examples=[OpenApiExample("Two words", value='"civic center" dc')],
    ),
    OpenApiParameter(
        "sort",
        OpenApiTypes.STR,
        enum=[column.key for column in COLUMNS] + [f"-{column.key}" for column in COLUMNS],
        description=(
            "A column key, ascending; `-key` descending. Default `token_sn`. Empty values "
            "come last in both directions; ties are ordered by Token S/N."
        ),
    ),
]


def _page_size(default: int, most: int, what: str) -> OpenApiParameter:
    return OpenApiParameter(
        "page_size",
        {"type": "integer", "minimum": 1, "maximum": most},
        description=f"{what} a page, 1 to {most:,} (default {default}).",
    )


def history_page_parameters(default: int, most: int) -> list[dict]:
    """The query parameters of a numbered page of organizations or transfers."""
    return [
        {
            "name": "page",
            "required": False,
            "in": "query",
            "description": "Which page, from 1; past the last is a 404.",
            "schema": {"type": "integer", "minimum": 1},
        },
        {
            "name": "page_size",
            "required": False,
            "in": "query",
            "description": f"Items a page, 1 to {most} (default {default}).",
            "schema": {"type": "integer", "minimum": 1, "maximum": most},
        },
    ]


_ERRORS = {
    400: OpenApiResponse(
        ErrorsSerializer,
        description="Bad input: every problem, each with the parameter, value and message.",
        examples=[
            OpenApiExample(
                "Unknown operator",
                value={
                    "errors": [
                        {
                            "param": "filter",
                            "value": "status:equals:New",
                            "message": "Filter 1 ignored: unknown operator 'equals'.",
                        }
                    ]
                },
            )
        ],
    ),
    401: OpenApiResponse(DetailSerializer, description="No key or session, or a bad key."),
    403: OpenApiResponse(DetailSerializer, description="A session write without its CSRF token."),
    429: OpenApiResponse(
        DetailSerializer,
        description="Too many requests; `Retry-After` says in how many seconds to retry.",
    ),
}
_NOT_FOUND = {
    404: OpenApiResponse(
        DetailSerializer, description="No such item, or not one you may see (alike)."
    )
}


def _errors(*codes: int) -> dict:
    return {code: _ERRORS[code] for code in codes}


token_list = extend_schema(
    operation_id="port_tokens_list",
    summary="List port tokens",
    description=(
        "The Port Tokens table: the tokens of your organizations (all for a superuser) that "
        "match the view state, in its sort order, a page at a time. Follow `next` until it "
        "is null to read every row exactly once; the cursor keeps your place even while "
        "tokens change. The view state is the table's: copy `filter`, `match`, `q` and "
        "`sort` from the page's URL. `count` is the number of matching tokens on all pages."
    ),
    parameters=[
        *_STATE_PARAMETERS,
        _page_size(DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, "Rows"),
        OpenApiParameter(
            "cursor",
            OpenApiTypes.STR,
            description="Where a page starts: take it from a `next` or `previous` link.",
        ),
    ],
    responses={200: PortTokenPageSerializer, **_errors(400, 401, 429)},
    examples=[
        OpenApiExample(
            "A page of one",
            response_only=True,
            value={
                "count": 1,
                "next": None,
                "previous": None,
                "results": [
                    {
                        "token_sn": "TKN-00000042",
                        "part_no": "CPCLD-COM-L2-1YN",
                        "cloud_plan": "Commercial Cloud Plan",
                        "description": "Networked charging, 1-year term",
                        "term_years": 1,
                        "port_type": "AC Level 2",
                        "token_type": "New",
                        "org_id": "ORG-ACME",
                        "org_name": "Acme Charging",
                        "evse_id": "EVSE-A1000042-01",
                        "station_sn": "STN-A1000042",
                        "station_name": "Acme Civic Center Garage Level 2",
                        "activation_date": "2025-03-09T03:30:00-07:00",
                        "applied_date": "2025-04-02T09:30:00-07:00",
                        "plan_start_date": "2025-04-02T09:30:00-07:00",
                        "plan_end_date": "2026-04-02T09:30:00-07:00",
                        "purchase_order": "PO-884213",
                        "sales_order": "SO-3000125",
                        "customer_reference": None,
                        "customer_name": "Harbor Properties Holdings",
                        "customer_id": "CUST-200417",
                        "order_date": "2025-03-04",
                        "ship_date": "2025-03-18",
                        "status": "Active",
                        "renewal_owner": None,
                    }
                ],
            },
        )
    ],
)

token_export = extend_schema(
    operation_id="port_tokens_export",
    summary="Export port tokens (CSV or XLSX)",
    description=(
        "Every token matching the view state, all pages, in its sort order, streamed as a "
        "file: the same export as the table's Export menu, logged in the export history. "
        "`format` names the file format here. Cells are what the table shows."
    ),
    parameters=[
        OpenApiParameter(
            "format",
            OpenApiTypes.STR,
            enum=["csv", "xlsx"],
            required=True,
            description="The file format.",
        ),
        OpenApiParameter(
            "scope",
            OpenApiTypes.STR,
            enum=["visible", "all"],
            description=(
                "`visible` (default): the `columns` in their order (absent: your saved or "
                "the default columns); `all`: the 25 columns in the table's order."
            ),
        ),
        OpenApiParameter(
            "columns",
            OpenApiTypes.STR,
            description="Comma-separated column keys in display order, for `scope=visible`.",
            examples=[OpenApiExample("Three columns", value="token_sn,status,plan_end_date")],
        ),
        OpenApiParameter(
            "token",
            OpenApiTypes.STR,
            many=True,
            explode=True,
            description="Only these Token S/Ns (repeatable): rows selected in the table.",
        ),
        *_STATE_PARAMETERS,
    ],
    responses={
        (200, "text/csv"): OpenApiResponse(
            OpenApiTypes.BINARY, description="UTF-8 CSV with a byte-order mark."
        ),
        (
            200,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ): OpenApiResponse(OpenApiTypes.BINARY, description="An Excel workbook."),
        **_errors(400, 401, 429),
    },
)

token_detail = extend_schema(
    operation_id="port_tokens_retrieve",
    summary="One port token",
    description=(
        "The token with this Token S/N (URL-encoded): its 25 columns and the transfers that "
        "moved it. 404 for a token of an organization you are not in, as for none."
    ),
    parameters=[
        OpenApiParameter(
            "token_sn", OpenApiTypes.STR, OpenApiParameter.PATH, description="Token S/N"
        )
    ],
    responses={200: PortTokenDetailSerializer, **_errors(401, 429), **_NOT_FOUND},
)

organization_list = extend_schema(
    operation_id="organizations_list",
    summary="Your organizations",
    description=(
        "The organizations you belong to (all for a superuser), by name, with your role and "
        "their tokens counted by status."
    ),
    responses={200: OrganizationSerializer(many=True), **_errors(400, 401, 429), **_NOT_FOUND},
)

transfer_list = extend_schema(
    operation_id="transfers_list",
    summary="Transfer history",
    description=(
        "Transfers into or out of an organization you belong to, newest first, as on the "
        'Transfers page. Organizations you are not in read "another organization".'
    ),
    parameters=[
        OpenApiParameter(
            "org",
            OpenApiTypes.STR,
            description="Only transfers into or out of this one of your organizations (Org ID).",
        )
    ],
    responses={200: TransferSerializer(many=True), **_errors(400, 401, 429), **_NOT_FOUND},
)

transfer_create = extend_schema(
    operation_id="transfers_create",
    summary="Transfer tokens (or try it with dry_run)",
    description=(
        "Move New or Available tokens applied to no EVSE into an organization you manage; you "
        "must manage every source organization too. All or nothing: the same rules as the "
        "transfer form. With `dry_run: true` nothing changes and the answer (200) says what "
        "would move and why each other token cannot. A transfer answers 201 with the new "
        "transfer; if any token cannot move, 400 with `movable` and `problems`, and nothing "
        "moved. Wrong fields (no tokens, a destination you do not manage, a long note) are a "
        "400 with `errors`. A browser session must send its CSRF token (`X-CSRFToken`)."
    ),
    request=TransferRequestSerializer,
    responses={
        200: OpenApiResponse(TransferReviewSerializer, description="A dry run's review."),
        201: OpenApiResponse(TransferDetailSerializer, description="The transfer made."),
        400: OpenApiResponse(
            OpenApiTypes.OBJECT,
            description=(
                '`{"errors": [...]}` for wrong fields, or `{"movable": [...], '
                '"problems": [...]}` when a token cannot move (nothing moved).'
            ),
        ),
        **_errors(401, 403, 429),
    },
    examples=[
        OpenApiExample(
            "Dry run",
            request_only=True,
            value={
                "token_sns": ["TKN-00000042", "TKN-00000043"],
                "to_org": "ORG-BAY",
                "note": "Moving spare tokens to Bayside",
                "dry_run": True,
            },
        ),
        OpenApiExample(
            "Review",
            response_only=True,
            status_codes=["200"],
            value={
                "movable": [
                    {
                        "token_sn": "TKN-00000042",
                        "cloud_plan": "Commercial Cloud Plan",
                        "status": "New",
                        "from_org": {"org_id": "ORG-ACME", "name": "Acme Charging"},
                    }
                ],
                "problems": [
                    {
                        "token_sn": "TKN-00000043",
                        "reason": "Status is Active; only New or Available tokens can move.",
                    }
                ],
            },
        ),
    ],
)

transfer_detail = extend_schema(
    operation_id="transfers_retrieve",
    summary="One transfer",
    description=(
        "Who, when, where to and from, the note, and every moved token you may see. 404 for "
        "a transfer on neither side of which you are, as for none."
    ),
    parameters=[
        OpenApiParameter(
            "id",
            OpenApiTypes.INT,
            OpenApiParameter.PATH,
            description="The transfer's number, as in a history row's `id`.",
        )
    ],
    responses={200: TransferDetailSerializer, **_errors(401, 429), **_NOT_FOUND},
)
