"""The running site as a route dependency: waves and routes need the warehouse's own facts
(without a site file they are refused in the caller's language)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from edge.api.floor_common import FloorRefusal
from edge.services.floor.errors import FloorError
from edge.site import Site


async def _site_dep(request: Request) -> Site:
    site: Site | None = request.app.state.site
    if site is None:
        raise FloorRefusal(FloorError("no_site", "the node has no site file: set site_file (docs/site.md) and restart"))
    return site


SiteDep = Annotated[Site, Depends(_site_dep)]
