"""The quarterly transparency report: placeholder, filled in below."""
