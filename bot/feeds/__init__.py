"""Feeds: fetching sources politely within hard limits, and parsing what they return into items."""
