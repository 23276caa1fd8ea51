"""Synchronisation: what is done, what is still to do, and who does it when (orders, catalog, sweeps)."""
