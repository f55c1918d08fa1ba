"""Reports shared by the CLI and chat: the bot's status as data, and its plain-text renderings."""
