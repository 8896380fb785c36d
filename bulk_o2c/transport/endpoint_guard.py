"""The endpoint rule of the settings (``bulk_o2c.loopback``), applied to every hop of a request.

aiohttp runs a client middleware once per hop, redirects included, so ``ENDPOINT_GUARD`` sees each
redirect's target before anything is sent there. Plain http to a host that is not loopback is
refused whatever led there: the hop would carry the request's body (a token grant, a CSV upload)
and bring its answer back in clear. aiohttp already drops ``Authorization`` on a hop to another
origin; this rule keeps the rest of the request off the clear wire too.
"""

from __future__ import annotations

import aiohttp

from bulk_o2c.errors import PermanentError
from bulk_o2c.loopback import is_allowed_endpoint


class InsecureEndpointError(PermanentError):
    """A request (usually a redirect) pointed at plain http on a host that is not loopback."""


async def _refuse_insecure(
    request: aiohttp.ClientRequest, handler: aiohttp.ClientHandlerType
) -> aiohttp.ClientResponse:
    if not is_allowed_endpoint(str(request.url)):
        raise InsecureEndpointError(
            f"refusing to send {request.method} to {request.url.origin()} (a redirect may have led "
            "there): only https, or http to a loopback address, is allowed"
        )
    return await handler(request)


ENDPOINT_GUARD: tuple[aiohttp.ClientMiddlewareType, ...] = (_refuse_insecure,)
