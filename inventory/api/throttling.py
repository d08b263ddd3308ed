"""Per-user request rates for the API (429 with `Retry-After` beyond them).

Every request counts against `API_THROTTLE_RATE`; exports and transfers also count
against `API_BULK_THROTTLE_RATE`. The rates are read from the settings on each request
(so a deployment's environment, or a test, sets them), and counted in the default cache.
"""

from django.conf import settings
from rest_framework import throttling


class UserRateThrottle(throttling.UserRateThrottle):
    scope = "api"
    setting = "API_THROTTLE_RATE"

    def get_rate(self):
        return getattr(settings, self.setting)


class BulkRateThrottle(UserRateThrottle):
    scope = "api-bulk"
    setting = "API_BULK_THROTTLE_RATE"
