"""Haolin Edge: the warehouse node that turns HQ's orders into picked, sorted, loaded crates."""
