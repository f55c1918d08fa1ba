"""Alert policy (pure): which new or changed items alert, to whom, when, in which message."""
