"""`python -m bot` runs the calea-bot CLI."""

from bot.app.cli import main

main()
