"""Cluster mode: several instances of each service on PostgreSQL, Redis and HAProxy (docs/ARCHITECTURE.md)."""
