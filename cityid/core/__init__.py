"""The bottom layer: helpers every app may use and that import no cityid app."""
