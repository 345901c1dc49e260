"""Device drivers: transports, pure codecs, typed readings, firmware profiles, simulators.

This package knows nothing of the edge: it turns device bytes into typed readings and back.
"""
