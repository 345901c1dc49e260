"""HQ's cold-chain monitoring: consume the edges' MQTT uplink, keep it, show a dashboard.

`consumer` subscribes to ``haolin/v1/#`` with a persistent session and stores each message once
(keyed by edge, epoch, seq); `dashboard` renders warehouses and trucks with their current
temperature, open alarms, 24-hour MKT and 24-hour charts (inline SVG, no scripts from anywhere).
"""
