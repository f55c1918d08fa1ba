"""Small helpers every stage shares, each in one place: clock, text safety, HTTP limits."""
