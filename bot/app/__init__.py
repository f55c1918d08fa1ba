"""The application: CLI, wiring (settings → store → pipeline → adapters → scheduler), web, demo."""
