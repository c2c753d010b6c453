"""The token check every endpoint but health and pairing depends on."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from openchair.store.devices import DeviceInfo
from openchair.web.context import WebContext
from openchair.web.models import Problem

bearer = HTTPBearer(
    auto_error=False,
    description="The token a device got when it was paired (POST /api/pair/confirm).",
)


BAD_BODY: dict[int | str, dict[str, Any]] = {
    400: {"model": Problem, "description": "The body is not JSON at all."}
}
NEEDS_TOKEN: dict[int | str, dict[str, Any]] = {
    **BAD_BODY,
    401: {"model": Problem, "description": "No token, or one that is not (or no longer) valid."},
}


def context(request: Request) -> WebContext:
    ctx: WebContext = request.app.state.ctx
    return ctx


def paired_device(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> DeviceInfo:
    """The paired device making the request; 401 without a valid token."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise HTTPException(
            401,
            "this chair needs a paired device: send 'Authorization: Bearer TOKEN' "
            "(pair at POST /api/pair/request)",
            headers={"WWW-Authenticate": "Bearer"},
        )
    device = context(request).devices.authenticate(credentials.credentials)
    if device is None:
        raise HTTPException(
            401,
            "this token is not valid (revoked, or never issued): pair this device again",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return device


Ctx = Annotated[WebContext, Depends(context)]
Device = Annotated[DeviceInfo, Depends(paired_device)]
