"""PaperScout: a self-hosted Discord bot for research digests."""

__version__ = "0.1.0"
