"""The pipeline: poll (fetch → analyse → store → alerts → outbox), deliver (outbox → sinks)."""
