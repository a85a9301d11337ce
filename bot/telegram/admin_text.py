"""Admin-facing Telegram text, in the admins' language: Chinese (the editors'), or English
with BOT_ADMIN_LANG=en. Users' text stays Chinese and lives in bot.render.

Templates are HTML; callers escape every value they pass in.
"""

from __future__ import annotations

TEXTS: dict[str, tuple[str, str]] = {
    # the private-chat rule and buttons that no longer apply
    "private_only": (
        "请在与我的私聊中使用这个命令。",
        "Please use this command in a private chat with me.",
    ),
    "stale": (
        "这个按钮已过期（收件箱已翻到别处，或知识库已重新加载）。请重新发送 /inbox。",
        "This button has expired (the inbox moved on, or the fact base was reloaded). "
        "Send /inbox again.",
    ),
    "not_admin": ("只供管理员使用。", "For admins only."),
    # reload
    "reload_busy": (
        "⏳ 另一次重新加载正在进行，请等它完成后再试。",
        "⏳ Another reload is running; try again when it has finished.",
    ),
    "reload_failed": (
        "❌ 重新加载失败，继续使用原来的知识库。\n原因：{reason}",
        "❌ Reload failed; the running fact base stays in use.\nReason: {reason}",
    ),
    "reload_done": (
        "✅ 已重新加载 {folder}：{stories} 篇报道，{facts} 条事实{rebuilt}。",
        "✅ Reloaded {folder}: {stories} stories, {facts} facts{rebuilt}.",
    ),
    "gate_passed": (
        "回归检查：{checked} 个问题，没有退步。",
        "Regression gate: {checked} questions, no regression.",
    ),
    "rebuilt": (
        "（已按 curated.yaml 和文章重新生成）",
        " (rebuilt from curated.yaml and the articles)",
    ),
    "reload_forced": (
        "⚠️ 已强制重新加载，{count} 个问题的回答变差了。",
        "⚠️ Reload forced: {count} questions now answer worse.",
    ),
    "reload_refused": (
        "🛑 重新加载被拒绝：新知识库会让 {count} 个原本答对的问题出错（共检查 {checked} 个）。"
        "原来的知识库继续使用。",
        "🛑 Reload refused: the new fact base would break {count} questions that were right "
        "({checked} checked). The running fact base stays in use.",
    ),
    "upload_not_live": (
        "⚠️ 文章已保存到文章目录，但尚未上线：",
        "⚠️ The article is stored in the articles folder but is not live:",
    ),
    "force_button": ("⚠️ 仍然强制加载", "⚠️ Force the reload anyway"),
    "still_failing": (
        "ℹ️ 另有 {count} 个问题新旧知识库都答不对：",
        "ℹ️ {count} more questions fail on both the old and the new fact base:",
    ),
    "kind_curated": ("人工条目", "curated"),
    "kind_thumbs_up": ("👍 答案", "👍 answer"),
    "kind_out_of_scope": ("超出范围", "out of scope"),
    "expected_answer": (
        "「{question}」应答：{expected}；现在：{got}",
        "“{question}” should answer: {expected}; now: {got}",
    ),
    "expected_none": (
        "「{question}」应不回答；现在答：{got}",
        "“{question}” should stay unanswered; now answers: {got}",
    ),
    "not_found": ("没有找到", "not found"),
    "more": ("……另有 {count} 个", "… and {count} more"),
    "recheck": (
        "🔁 过去 {days} 天没答出的 {total} 个问题，现在能回答 {answered} 个。",
        "🔁 Of the {total} questions missed in the last {days} days, {answered} are now answered.",
    ),
    "notified": ("🔔 已通知 {count} 位提问者。", "🔔 {count} askers were told."),
    # inbox
    "inbox_empty": (
        "📭 收件箱是空的：最近没有未答出或低置信度的问题。",
        "📭 The inbox is empty: no unanswered or low-confidence questions lately.",
    ),
    "inbox_card": (
        "📥 <b>收件箱（还剩 {total} 组）</b>：「{text}」\n"
        "被问了 {count} 次{low}，最近一次 {last}（UTC）",
        "📥 <b>Inbox ({total} groups left)</b>: “{text}”\n"
        "asked {count} times{low}, last at {last} UTC",
    ),
    "inbox_low": ("（其中 {count} 次答了但把握不大）", " ({count} answered with low confidence)"),
    "inbox_variants": ("其他问法：", "Other wordings:"),
    "inbox_candidates": ("候选事实（点 ✅ 选一条）：", "Candidate facts (tap ✅ on one):"),
    "inbox_no_candidates": ("没有接近的候选事实。", "No candidate fact comes close."),
    "button_fact": ("✅ {n}", "✅ {n}"),
    "button_write": ("✏️ 写答案", "✏️ Write an answer"),
    "button_out": ("🚫 超出范围", "🚫 Out of scope"),
    "button_skip": ("⏭ 跳过", "⏭ Skip"),
    "inbox_busy": (
        "另一位管理员正在处理这一组问题，请稍后再看。",
        "Another admin is working on this group right now.",
    ),
    "inbox_already": ("这一组已经处理过了。", "This group has already been handled."),
    "done_fact": (
        "✅ {admin} 选了事实 {n}：已写入 curated.yaml（{added} 个问法）。",
        "✅ {admin} chose fact {n}: written to curated.yaml ({added} wordings).",
    ),
    "done_written": (
        "✏️ {admin} 写了答案，来源《{title}》：已写入 curated.yaml（{added} 个问法）。",
        "✏️ {admin} wrote an answer, source “{title}”: written to curated.yaml ({added} wordings).",
    ),
    "done_out": (
        "🚫 {admin} 标记为超出范围：已写入 curated.yaml，今后作为不应回答的回归问题。",
        "🚫 {admin} marked it out of scope: written to curated.yaml, now a question that must "
        "stay unanswered.",
    ),
    "done_skip": ("⏭ 已跳过。", "⏭ Skipped."),
    "curated_broken": (
        "❌ curated.yaml 有错误，这次操作没有写入：{reason}\n请修好文件后再点一次按钮。",
        "❌ curated.yaml is broken, so nothing was written: {reason}\n"
        "Fix the file, then press the button again.",
    ),
    "write_prompt": (
        "✏️ 请回复这条消息，发送「{text}」的答案（纯文本，最多 {limit} 字）。发送 /cancel 取消。",
        "✏️ Reply with the answer to “{text}” (plain text, at most {limit} characters). "
        "Send /cancel to stop.",
    ),
    "write_html": (
        "答案里不能有 HTML 标签，请用纯文本重新发送。",
        "The answer may not contain HTML tags; send it again as plain text.",
    ),
    "write_too_long": (
        "答案有 {length} 字，超过了 {limit} 字的上限，请缩短后重新发送。",
        "The answer is {length} characters, over the limit of {limit}; send a shorter one.",
    ),
    "write_empty": ("答案是空的，请重新发送。", "The answer is empty; send it again."),
    "write_cancelled": ("已取消。", "Cancelled."),
    "pick_source": (
        "请选择这个答案的来源文章：\n\n{answer}",
        "Pick the article this answer comes from:\n\n{answer}",
    ),
    # stats
    "chart_caption": (
        "最近 {days} 天的提问、回答率和 👍/👎",
        "Questions, answer rate and 👍/👎, last {days} days",
    ),
}

CURATED_COMMENT = {
    "fact": (
        "/inbox：{admin}（id {admin_id}）于 {date} 选定事实",
        "/inbox: {admin} (id {admin_id}) chose a fact on {date}",
    ),
    "written": (
        "/inbox：{admin}（id {admin_id}）于 {date} 写的答案",
        "/inbox: answer written by {admin} (id {admin_id}) on {date}",
    ),
    "out": (
        "/inbox：{admin}（id {admin_id}）于 {date} 标记为超出范围",
        "/inbox: marked out of scope by {admin} (id {admin_id}) on {date}",
    ),
}


def say(lang: str, key: str, **values: object) -> str:
    """The text `key` in `lang` ("zh" or "en"), with `values` filled in."""
    zh, en = TEXTS[key]
    return (en if lang == "en" else zh).format(**values)


def comment(lang: str, action: str, **values: object) -> str:
    """The curated.yaml comment for an inbox action, naming the admin and the date."""
    zh, en = CURATED_COMMENT[action]
    return (en if lang == "en" else zh).format(**values)
