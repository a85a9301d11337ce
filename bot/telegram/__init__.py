"""The Telegram bot: one module per surface, each ending in `register(application)`.

app.py builds the Application and runs it; nothing outside this package imports telegram.
"""
