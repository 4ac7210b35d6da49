"""Shared pieces of the operator commands (command base, progress, tables). Imports no cityid app above ``core``."""
