"""API keys map to users. Without keys the server is single-user (and bound to 127.0.0.1)."""

import hmac

from fastapi import Request

from serving.config import ServingConfig
from serving.errors import APIError

API_KEY_HEADER = "X-API-Key"


class Authenticator:
    """Resolves the user of a request from `X-API-Key` or `Authorization: Bearer <key>`."""

    def __init__(self, config: ServingConfig) -> None:
        self._keys = dict(config.api_keys)
        self.single_user = config.single_user

    @property
    def enabled(self) -> bool:
        return bool(self._keys)

    def user_for_key(self, key: str | None) -> str:
        """The user an API key belongs to; in single-user mode, that one user whatever the key."""
        if not self.enabled:
            return self.single_user
        if not key:
            raise APIError(401, "unauthorized", f"an API key is required ({API_KEY_HEADER} header)",
                           headers={"WWW-Authenticate": "Bearer"})
        user = None
        for known, owner in self._keys.items():  # compare against every key: no timing hint
            if hmac.compare_digest(known.encode(), key.encode()):
                user = owner
        if user is None:
            raise APIError(401, "unauthorized", "invalid API key", headers={"WWW-Authenticate": "Bearer"})
        return user

    async def __call__(self, request: Request) -> str:
        """FastAPI dependency: the user of the request (async: no thread hop per request)."""
        key = request.headers.get(API_KEY_HEADER)
        authorization = request.headers.get("Authorization", "")
        if not key and authorization.lower().startswith("bearer "):
            key = authorization[7:].strip()
        return self.user_for_key(key)
