"""Analysis (pure): extract identifiers, classify into topics, relate to matters, summarise."""
