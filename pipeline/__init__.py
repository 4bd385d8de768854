"""Social balance pipeline: mix, accessibility and scenarios for Danish municipalities."""

__version__ = "0.1.0"
