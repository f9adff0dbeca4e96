"""Utilities every app may use: the bottom layer, which imports no app (docs/architecture.md)."""
