"""A site's optional map tiles behind the supervisor's route map (the site file's `map:`).

Without them the page draws the routes on a blank ground and fetches nothing, so it works on the
warehouse's own Wi-Fi. With them the page fetches XYZ tiles from exactly the origins the template
names, and the page policy (CSP) lets images come from those origins and no others.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from edge.domain.geo import Datum

_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
_NEEDED = ("z", "x", "y")
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_HOST = re.compile(rf"^{_LABEL}(?:\.{_LABEL})*$")
_LABEL_ONLY = rf"^{_LABEL}$"
_NOT_IN_URL = re.compile(r'[\s"<>\\^`|\x00-\x1f\x7f]')
#: Why http is refused even for a tile server on the warehouse's own network.
_HTTPS_ONLY = ("must be https: the pages are served over HTTPS and browsers do not load http images into them;"
               " serve the tiles over https (on the LAN, with a certificate the PDAs trust, e.g. one signed by"
               " the site CA)")


class MapTiles(BaseModel):
    """XYZ (Web-Mercator, "slippy map") tiles the supervisor's route map is drawn on."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    tile_url: str = Field(
        min_length=1, max_length=500,
        description="https URL template with {z}, {x}, {y} (and {s} with `subdomains`)")
    subdomains: list[Annotated[str, Field(pattern=_LABEL_ONLY)]] = Field(
        default_factory=list, max_length=16, validate_default=True,
        description="what {s} in tile_url becomes, one per tile in turn")
    datum: Datum = Field(description="the datum the tiles are drawn in: gcj02 for AMap/高德 and Tencent, wgs84 for"
                                     " OpenStreetMap-style tiles and 天地图; store positions are shifted to it")
    attribution: str = Field(default="", max_length=200, description="the provider's credit, shown in a corner")
    max_zoom: int = Field(default=18, ge=1, le=22, description="the deepest zoom level the provider serves")

    @field_validator("tile_url")
    @classmethod
    def _template(cls, url: str) -> str:
        odd = _NOT_IN_URL.search(url)
        if odd:
            raise ValueError(f"{odd.group()!r} at character {odd.start() + 1} cannot stand in a URL")
        found = _PLACEHOLDER.findall(url)
        unknown = sorted(set(found) - {*_NEEDED, "s"})
        if unknown:
            raise ValueError(f"unknown placeholder(s) {', '.join('{' + u + '}' for u in unknown)};"
                             " use {z}, {x}, {y} and {s}")
        missing = [p for p in _NEEDED if p not in found]
        if missing:
            raise ValueError(f"must contain {', '.join('{' + m + '}' for m in missing)}")
        parts = urlsplit(url)
        host = (parts.hostname or "").replace("{s}", "a")
        if parts.scheme == "http":
            raise ValueError(_HTTPS_ONLY)
        if parts.scheme != "https" or not host:
            raise ValueError(f"must be an https:// URL, got {url!r}")
        if parts.username is not None or parts.password is not None:
            raise ValueError("must not carry a user name or password (put a provider's key in the query)")
        try:
            parts.port  # noqa: B018 -- parsing it checks it
        except ValueError:
            raise ValueError(f"has a bad port: {parts.netloc!r}") from None
        if "{" in parts.netloc.replace("{s}", ""):
            raise ValueError("only {s} may stand in the host name")
        if not (_HOST.match(host) or _is_address(host)):
            raise ValueError(f"has a bad host name {parts.hostname!r}")
        return url

    @field_validator("subdomains")
    @classmethod
    def _subdomains(cls, subdomains: list[str], info: ValidationInfo) -> list[str]:
        url = info.data.get("tile_url")
        if url is None:  # refused above
            return subdomains
        if "{s}" in url and not subdomains:
            raise ValueError("tile_url has {s}: list what it stands for here")
        if subdomains and "{s}" not in url:
            raise ValueError("given, but tile_url has no {s}")
        return subdomains

    @property
    def origins(self) -> tuple[str, ...]:
        """Every origin a tile may come from (one per subdomain), as the page policy names them."""
        parts = urlsplit(self.tile_url)
        netloc = parts.netloc.lower()
        hosts = [netloc.replace("{s}", s.lower()) for s in self.subdomains] if "{s}" in netloc else [netloc]
        return tuple(dict.fromkeys(f"{parts.scheme}://{h}" for h in hosts))

    def for_page(self) -> dict[str, Any]:
        return {"url": self.tile_url, "subdomains": self.subdomains, "attribution": self.attribution,
                "max_zoom": self.max_zoom, "datum": self.datum}


def _is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True
