"""cityid: a municipal identity-card platform."""
