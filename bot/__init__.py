"""calea-bot: watches U.S. telecom regulation and alerts compliance teams in chat."""

__version__ = "0.1.0"
