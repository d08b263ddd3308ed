"""The JSON API under /api/v1/: Django REST Framework views over the same selectors and
services as the pages (`inventory.selectors`, `inventory.transfers`, `inventory.exports`),
so a rule lives once and the API only speaks JSON.

- `keys`: personal API keys (made, checked, revoked; stored only as a hash);
- `authentication`, `throttling`: who is calling (`Authorization: Token <key>` or the
  browser session) and how often they may;
- `state`: the table's view state from the query string, bad pieces as a 400;
- `pagination`: cursor pages over the table's order that never skip or repeat a row;
- `serializers`: the JSON of a token (the 25 columns), an organization, a transfer;
- `views`, `urls`: the endpoints; `schema`: what the OpenAPI schema says about them.
"""
