"""Console pages: each module here adds its routes to `bot.console.bp`."""
