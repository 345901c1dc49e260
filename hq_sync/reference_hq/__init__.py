"""A reference HQ: the HQ side of the sync protocol, small enough to run beside the edge."""
