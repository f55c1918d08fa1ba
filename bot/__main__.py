"""`python -m bot` runs the calea-bot CLI."""

from bot.cli import main

main()
