"""Shared pieces of the staff pages (form styling, view decorators). Imports no cityid app above ``core``."""
