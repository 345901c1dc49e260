"""The site: the warehouse's own facts from its site file (docs/site.md), for tours, routes, fleet and devices."""

from edge.site.load import Site, SiteFileError, check_warehouse, load_site_file, seconds_of_day

__all__ = ["Site", "SiteFileError", "check_warehouse", "load_site_file", "seconds_of_day"]
