"""Webhook mode: setWebhook with a secret, updates POSTed to the bot, wrong secrets refused."""

from __future__ import annotations

import logging

from botapi import FakeBotApi
from test_telegram_app import ADMIN_ID, BotThread, bot_env, log_rows, next_message

from bot.telegram import app as bot_app
from bot.telegram.redact import REDACTED

pytest_plugins = ["test_telegram_app"]  # fixtures: webhook_bot, bot, start_bot, answerer

USER = 801
QUESTION = "伟力得的总部在哪里？"


def message_update(message_id: int, text: str) -> dict:
    user = {"id": USER, "is_bot": False, "first_name": "Web"}
    chat = {"id": USER, "type": "private", "first_name": "Web"}
    message = {"message_id": message_id, "from": user, "chat": chat, "date": 0, "text": text}
    return {"message": message}


def test_set_webhook_with_the_secret_and_answer_delivered_updates(
    webhook_bot: BotThread, botapi: FakeBotApi
):
    set_webhook = botapi.wait_for("setWebhook")
    assert set_webhook.params["url"] == webhook_bot.config.webhook_url
    assert set_webhook.params["secret_token"] == webhook_bot.webhook_secret
    assert botapi.calls_of("getUpdates") == []

    botapi.send_private_message(USER, QUESTION)  # the fake delivers it to the webhook
    assert "来源" in next_message(botapi, USER).result["text"]


def test_updates_with_a_wrong_or_missing_secret_are_rejected(
    webhook_bot: BotThread, botapi: FakeBotApi
):
    botapi.wait_for("setWebhook")
    assert botapi.post_webhook_update(message_update(1, QUESTION), secret="wrong") == 403
    assert botapi.post_webhook_update(message_update(2, QUESTION), secret=None) == 403
    assert botapi.post_webhook_update(message_update(3, QUESTION)) == 200
    answer = next_message(botapi, USER)
    webhook_bot.stop()
    assert len(botapi.calls_of("sendMessage")) == 1 and answer.ok
    assert len(log_rows(webhook_bot.config)) == 1


def test_main_makes_a_fresh_secret_per_start_and_keeps_it_out_of_the_logs(
    botapi: FakeBotApi, tmp_path, monkeypatch, caplog
):
    """main() in webhook mode, with `serve` replaced so it only records what it was given."""
    served: list[str] = []

    def record_secret(application, config, *, webhook_secret):
        logging.getLogger("test").warning("secret is %s", webhook_secret)
        served.append(webhook_secret)

    monkeypatch.setattr(bot_app, "serve", record_secret)
    env = bot_env(botapi, tmp_path, BOT_WEBHOOK_URL="http://127.0.0.1:1/hook")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("BOT_ADMIN_IDS", str(ADMIN_ID))
    assert bot_app.main([]) == 0
    assert bot_app.main([]) == 0
    first, second = served
    assert first and second and first != second
    logged = [r.getMessage() for r in caplog.records if r.name == "test"]
    assert logged == [f"secret is {REDACTED}"] * 2
