"""Sinks: one thin adapter per chat platform (console, Slack, Teams) that renders and sends."""
