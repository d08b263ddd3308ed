"""`Authorization: Token <key>` for the API: a personal key (`inventory.api.keys`).

Listed before DRF's SessionAuthentication (settings), so an anonymous caller is answered
401 with `WWW-Authenticate: Token`, and a browser session still works (with CSRF for
writes). A request without the header falls through to the session.
"""

from rest_framework import authentication, exceptions

from inventory.api.keys import KeyRefused, key_user

KEYWORD = "Token"


class ApiKeyAuthentication(authentication.BaseAuthentication):
    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != KEYWORD.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(
                f"Send the key as `Authorization: {KEYWORD} <key>`, with no spaces in the key."
            )
        try:
            key = header[1].decode()
        except UnicodeError:
            raise exceptions.AuthenticationFailed("Invalid API key.") from None
        try:
            user = key_user(key)
        except KeyRefused as refused:
            raise exceptions.AuthenticationFailed(str(refused)) from None
        return user, None

    def authenticate_header(self, request):
        return KEYWORD
