"""Platform-free chat commands: text in, a `Reply` out (see bot.commands.reply)."""
