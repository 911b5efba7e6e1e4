"""The token pages: /o/<org_slug>/settings/api-tokens/ and /accounts/api-tokens/."""

from django.urls import path

from api.views import tokens

app_name = "api_tokens"

urlpatterns = [
    path("o/<slug:org_slug>/settings/api-tokens/", tokens.org_tokens, name="org"),
    path(
        "o/<slug:org_slug>/settings/api-tokens/<uuid:token_uid>/revoke/",
        tokens.org_token_revoke,
        name="org_revoke",
    ),
    path("accounts/api-tokens/", tokens.my_tokens, name="mine"),
    path("accounts/api-tokens/<uuid:token_uid>/revoke/", tokens.my_token_revoke, name="revoke"),
]
