"""Response headers every page carries beyond Django's own: a Permissions-Policy that
switches off browser features the app never uses, and `Cache-Control: private, no-store`
on everything a signed-in user receives. (The Content-Security-Policy comes from
django-csp, configured in settings.)"""

from django.utils.cache import patch_cache_control

# Features a page of this app could otherwise ask for; none is needed, so a script that
# got in anyway cannot reach a camera, a microphone, the location or a payment sheet.
DENIED_FEATURES = (
    "accelerometer",
    "camera",
    "display-capture",
    "geolocation",
    "gyroscope",
    "hid",
    "magnetometer",
    "microphone",
    "midi",
    "payment",
    "screen-wake-lock",
    "serial",
    "usb",
    "xr-spatial-tracking",
)
PERMISSIONS_POLICY = ", ".join(f"{feature}=()" for feature in DENIED_FEATURES)


class PermissionsPolicyMiddleware:
    """Adds the Permissions-Policy header to every response that has none."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        return response


class PrivateCacheMiddleware:
    """Marks every response to a signed-in user `Cache-Control: private, no-store`.

    Every page behind the login (the table, a token, the exports, the transfer history)
    shows inventory data: no shared cache may keep it, and after signing out on a shared
    computer the browser's Back button must not show it again. A response's own
    directives are kept (merged, with `public` dropped). Must come after
    AuthenticationMiddleware."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.user.is_authenticated:
            patch_cache_control(response, private=True, no_store=True)
        return response
