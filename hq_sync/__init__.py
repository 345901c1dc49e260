"""HQ sync: the protocol shared with HQ, the sync agent, digests and a reference HQ.

A library that knows nothing of the edge: the agent works through the port in `hq_sync.port`.
"""
