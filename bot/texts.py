"""Every sentence the bot says, in Arabic (the default) and English, in one table.

Keep user-facing strings here and nowhere else, so a translation is one file and the tests can
check that both languages have every key and that /help lists every command. Strings are plain
text with ``str.format`` fields; ``bot.render`` escapes them for Telegram's HTML.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = ["COMMANDS", "LANGS", "TEXTS", "command_menu", "help_text", "language_for", "t"]

LANGS = ("ar", "en")
_ARABIC_LETTER = re.compile("[\u0600-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufeff]")
_LATIN_LETTER = re.compile("[A-Za-z]")

# (command, usage shown in /help, Arabic description, English description), in menu order. The
# descriptions are also the command menu (set_my_commands): 1-256 characters each. Each command here
# has exactly one handler in bot.core (``@command``); tests/bot/test_core.py checks both ways.
COMMANDS: tuple[tuple[str, str, str, str], ...] = (
    ("start", "", "ابدأ: ما يفعله البوت", "Start: what the bot does"),
    ("help", "", "المساعدة وقائمة الأوامر", "Help and the list of commands"),
    ("ask", " <سؤال | question>", "اسأل سؤالا عن الأرشيف", "Ask the archive a question"),
    ("search", " <كلمات | words>", "ابحث في المقالات بالكلمات", "Search the articles by words"),
    ("latest", "", "أحدث المقالات", "The latest articles"),
    ("article", " <id>", "اعرض مقالا كاملا برقمه", "Show a whole article by its number"),
    ("trend", " <كلمات | words>", "رسم بياني لتغطية موضوع عبر الزمن", "Chart of a topic's coverage over time"),
    ("who", " <اسم | name>", "من هو هذا الشخص بحسب الأرشيف", "Who a person is, according to the archive"),
    ("allow", " <user_id>", "(للمشرفين) اسمح لمستخدم", "(admins) Let a user in"),
    ("deny", " <user_id>", "(للمشرفين) امنع مستخدما", "(admins) Shut a user out"),
    ("users", "", "(للمشرفين) قائمة المستخدمين", "(admins) List the users"),
    ("subscribe", " <كلمات | words>", "اشترك في تنبيه بالمقالات الجديدة", "Get alerts for new articles"),
    ("subscriptions", "", "اشتراكاتك في التنبيهات", "Your alert subscriptions"),
    ("unsubscribe", " <id>", "ألغ اشتراكا برقمه", "Delete a subscription by its number"),
    ("add", " <url>", "(للمشرفين) أضف صفحة ويب إلى الأرشيف", "(admins) Add a web page to the archive"),
    ("feeds", "", "(للمشرفين) الخلاصات وحالتها", "(admins) The feeds and their health"),
    ("stats", "", "(للمشرفين) أرقام الأرشيف", "(admins) Archive figures"),
)

TEXTS: dict[str, dict[str, str]] = {
    "start": {
        "ar": "أهلا {name}! أنا أرشيف: أجيب عن أسئلتك من أرشيف الأخبار، مع المقتطف والمصدر.\n"
        "اكتب سؤالا مثل «من وقع الاتفاقية؟» أو كلمات للبحث، أو أرسل /help لقائمة الأوامر.",
        "en": "Hello {name}! I am arshif: I answer your questions from the news archive, with the "
        "excerpt and its source.\nType a question such as \"Who signed the agreement?\" or words to "
        "search for, or send /help for the commands.",
    },
    "help_intro": {
        "ar": "اكتب سؤالا (ينتهي بـ «؟» أو يبدأ بأداة استفهام) لأجيب عنه، أو كلمات لأبحث عنها. "
        "بعد الجواب يمكنك المتابعة بسؤال قصير مثل «ومتى وقعت؟».\n"
        "في البحث: \"عبارة كاملة\"، ‎-كلمة للاستبعاد، since:2024 و until:2024-06.\n\nالأوامر:",
        "en": "Type a question (ending in \"?\" or starting with a question word) and I answer it, or "
        "words and I search for them. After an answer you can follow up with a short question such "
        "as \"and when?\".\nIn searches: \"exact phrase\", -word to exclude, since:2024 and "
        "until:2024-06.\n\nCommands:",
    },
    "help_groups": {
        "ar": "في المجموعات أرد على الأوامر وعلى الرسائل التي تذكرني (@{bot}) أو ترد على رسائلي فقط.",
        "en": "In groups I answer commands, messages that mention me (@{bot}) and replies to my "
        "messages only.",
    },
    "stranger": {
        "ar": "هذا الأرشيف خاص. أرسل رقمك {user_id} إلى أحد المشرفين ليسمح لك بالدخول.",
        "en": "This archive is private. Send your user id {user_id} to an admin to be let in.",
    },
    "stranger_group": {
        "ar": "هذا الأرشيف خاص. أرسل رقمك {user_id} ورقم هذه المجموعة {chat_id} إلى أحد المشرفين.",
        "en": "This archive is private. Send your user id {user_id} and this group's id {chat_id} "
        "to an admin.",
    },
    "denied": {
        "ar": "لا يمكنك استخدام هذا الأرشيف؛ تواصل مع أحد المشرفين إن كان ذلك خطأ (رقمك {user_id}).",
        "en": "You cannot use this archive; contact an admin if this is a mistake (your id is {user_id}).",
    },
    "rate_limited": {
        "ar": "رسائل كثيرة في وقت قصير؛ انتظر دقيقة ثم أعد المحاولة.",
        "en": "Too many messages in a short time; wait a minute and try again.",
    },
    "error": {
        "ar": "حدث خطأ ما؛ تم إبلاغ المشرف.",
        "en": "Something went wrong; the admin has been notified.",
    },
    "admin_error": {
        "ar": "⚠️ خطأ أثناء معالجة رسالة (المستخدم {user_id}، المحادثة {chat_id}): {error}. التفاصيل في السجل.",
        "en": "⚠️ Error while handling an update (user {user_id}, chat {chat_id}): {error}. "
        "Details are in the log.",
    },
    "busy": {
        "ar": "الأرشيف مشغول الآن؛ أعد المحاولة بعد قليل.",
        "en": "The archive is busy right now; try again in a moment.",
    },
    "truncated": {
        "ar": "رسالتك طويلة؛ استخدمت أول {n} حرف منها فقط.",
        "en": "Your message is long; I used only its first {n} characters.",
    },
    "empty_message": {
        "ar": "أرسل سؤالا أو كلمات للبحث.",
        "en": "Send a question or words to search for.",
    },
    "ask_usage": {
        "ar": "اكتب السؤال بعد الأمر، مثل: /ask من وقع اتفاقية الربط الكهربائي؟",
        "en": "Write the question after the command, for example: /ask Who signed the agreement?",
    },
    "search_usage": {
        "ar": "اكتب كلمات البحث بعد الأمر، مثل: /search الربط الكهربائي",
        "en": "Write the words after the command, for example: /search energy minister",
    },
    "article_usage": {
        "ar": "اكتب رقم المقال بعد الأمر، مثل: /article 12 (تجد الأرقام في /latest ونتائج البحث).",
        "en": "Write the article's number after the command, for example: /article 12 (numbers are "
        "shown by /latest and in search results).",
    },
    "user_usage": {
        "ar": "اكتب رقم المستخدم بعد الأمر، مثل: /{command} 12345678",
        "en": "Write the user's numeric id after the command, for example: /{command} 12345678",
    },
    "unknown_command": {
        "ar": "لا أعرف هذا الأمر؛ أرسل /help لقائمة الأوامر.",
        "en": "I don't know that command; send /help for the list.",
    },
    "admins_only": {
        "ar": "هذا الأمر للمشرفين فقط.",
        "en": "Only admins can use this command.",
    },
    "allowed_user": {
        "ar": "يمكن للمستخدم {user_id} استخدام الأرشيف الآن.",
        "en": "User {user_id} can use the archive now.",
    },
    "denied_user": {
        "ar": "لم يعد بإمكان المستخدم {user_id} استخدام الأرشيف.",
        "en": "User {user_id} can no longer use the archive.",
    },
    "cannot_deny_admin": {
        "ar": "المستخدم {user_id} مشرف في الإعدادات؛ أزله من ARSHIF_ADMINS أولا.",
        "en": "User {user_id} is an admin in the configuration; remove them from ARSHIF_ADMINS first.",
    },
    "welcome_in": {
        "ar": "سمح لك أحد المشرفين باستخدام الأرشيف. أرسل /help للبدء.",
        "en": "An admin has let you into the archive. Send /help to begin.",
    },
    "users_title": {"ar": "المستخدمون:", "en": "Users:"},
    "users_none": {"ar": "لا أحد بعد.", "en": "Nobody yet."},
    "users_admins": {"ar": "المشرفون (الإعدادات): {ids}", "en": "Admins (configuration): {ids}"},
    "users_config": {"ar": "مسموح لهم (الإعدادات): {ids}", "en": "Allowed (configuration): {ids}"},
    "users_chats": {"ar": "مجموعات مسموحة (الإعدادات): {ids}", "en": "Allowed groups (configuration): {ids}"},
    "users_open": {
        "ar": "الوضع المفتوح مفعل: يمكن لأي شخص استخدام البوت.",
        "en": "Open mode is on: anyone can use the bot.",
    },
    "user_row": {"ar": "{user_id}: {status}{blocked}", "en": "{user_id}: {status}{blocked}"},
    "status_allowed": {"ar": "مسموح", "en": "allowed"},
    "status_denied": {"ar": "ممنوع", "en": "denied"},
    "status_seen": {"ar": "معروف دون إذن", "en": "seen, not allowed"},
    "blocked_mark": {"ar": " (حظر البوت)", "en": " (blocked the bot)"},
    "other_language": {
        "ar": "أقرب المقالات بلغة غير لغة السؤال، فلا أجيب منها بثقة بعد.",
        "en": "The closest articles are in another language than the question, so I cannot answer from them "
        "with confidence yet.",
    },
    "not_sure": {
        "ar": "لست متأكدا — أقرب ما وجدت:",
        "en": "Not sure — closest passages:",
    },
    "nothing_found": {
        "ar": "لم أجد شيئا عن هذا في الأرشيف.",
        "en": "I found nothing about this in the archive.",
    },
    "answer_label": {"ar": "الجواب", "en": "Answer"},
    "fact_person": {"ar": "من", "en": "Who"},
    "fact_org": {"ar": "الجهة", "en": "Organisation"},
    "fact_date": {"ar": "متى", "en": "When"},
    "fact_place": {"ar": "أين", "en": "Where"},
    "fact_number": {"ar": "العدد", "en": "Number"},
    "fact_quantity": {"ar": "الكمية", "en": "Quantity"},
    "fact_percent": {"ar": "النسبة", "en": "Share"},
    "fact_money": {"ar": "المبلغ", "en": "Amount"},
    "fact_other": {"ar": "معلومة", "en": "Fact"},
    "results_head": {
        "ar": "{total} مقال عن «{query}» — الصفحة {page} من {pages}",
        "en": "{total} article(s) about \"{query}\" — page {page} of {pages}",
    },
    "no_results": {
        "ar": "لا نتائج عن «{query}».",
        "en": "No results for \"{query}\".",
    },
    "suggestion": {"ar": "هل تقصد: {suggestion}", "en": "Did you mean: {suggestion}"},
    "like_head": {
        "ar": "مقالات شبيهة بـ «{title}» — الصفحة {page} من {pages}",
        "en": "Articles like \"{title}\" — page {page} of {pages}",
    },
    "no_like": {
        "ar": "لا مقالات شبيهة بـ «{title}».",
        "en": "No articles like \"{title}\".",
    },
    "latest_head": {"ar": "أحدث المقالات — الصفحة {page}", "en": "Latest articles — page {page}"},
    "archive_empty": {
        "ar": "الأرشيف فارغ بعد؛ يضيف المشرفون المقالات بالأمر arshif ingest.",
        "en": "The archive is empty; admins add articles with arshif ingest.",
    },
    "article_sent_as_file": {
        "ar": "المقال طويل، فأرسلته ملفا نصيا.",
        "en": "The article is long, so I sent it as a text file.",
    },
    "article_number": {"ar": "مقال رقم {id}", "en": "Article {id}"},
    "stale_button": {
        "ar": "انتهت صلاحية هذا الزر؛ أرسل البحث من جديد.",
        "en": "This button has expired; send the search again.",
    },
    "button_prev": {"ar": "◀ السابق", "en": "◀ Previous"},
    "button_next": {"ar": "التالي ▶", "en": "Next ▶"},
    "button_open": {"ar": "📄 فتح المقال", "en": "📄 Open article"},
    "button_open_n": {"ar": "📄 {n}", "en": "📄 {n}"},
    "button_like": {"ar": "🔎 مقالات شبيهة", "en": "🔎 More like this"},
    "chat_intro": {
        "ar": "دردشة أرشيف في الطرفية. اكتب سؤالا أو كلمات؛ /help للأوامر، /quit للخروج.",
        "en": "arshif terminal chat. Type a question or words; /help for commands, /quit to leave.",
    },
    "chat_buttons": {"ar": "الأزرار (اكتب الرمز):", "en": "Buttons (type the code):"},
}


# Subscriptions and alerts (bot/alerts.py, bot/jobs.py).
TEXTS |= {
    "subscribe_usage": {
        "ar": "اكتب الكلمات بعد الأمر، مثل: /subscribe تحلية العقبة\nيمكنك استخدام \"عبارة كاملة\" و‎-كلمة "
        "للاستبعاد وsource:المصدر.",
        "en": "Write the words after the command, e.g. /subscribe desalination Aqaba\nYou can use "
        "\"an exact phrase\", -word to exclude and source:name.",
    },
    "subscribed": {
        "ar": "✅ اشتراك #{id}: «{query}». سأرسل إليك كل مقال جديد يطابقه.",
        "en": "✅ Subscription #{id}: “{query}”. I will send you every new article that matches.",
    },
    "matches_now": {
        "ar": "يطابقه في الأرشيف الآن {n} مقال؛ أحدثها:",
        "en": "{n} archived articles match it now; the newest:",
    },
    "no_matches_now": {
        "ar": "لا يطابقه شيء في الأرشيف حتى الآن.",
        "en": "Nothing in the archive matches it yet.",
    },
    "already": {
        "ar": "أنت مشترك في هذا من قبل (#{id}).",
        "en": "You already have this subscription (#{id}).",
    },
    "limit": {
        "ar": "لديك {limit} اشتراكات، وهو الحد الأقصى؛ احذف واحدا بـ /unsubscribe <رقم> أولا.",
        "en": "You have {limit} subscriptions, the most allowed; delete one with /unsubscribe <id> first.",
    },
    "bad_query": {
        "ar": "لا يمكن البحث عن هذا كما كُتب؛ أضف كلمة على الأقل أو أزل الرموز الخاصة.",
        "en": "This cannot be searched as written; add at least one word or remove special characters.",
    },
    "list_header": {"ar": "اشتراكاتك ({n} من {limit}):", "en": "Your subscriptions ({n} of {limit}):"},
    "list_empty": {
        "ar": "لا اشتراكات لديك. أضف واحدا: /subscribe كلمات",
        "en": "You have no subscriptions. Add one: /subscribe words",
    },
    "resumed": {
        "ar": "▶️ عادت {n} من اشتراكاتك للعمل بعد توقفها لأن رسائلي لم تكن تصل إليك.",
        "en": "▶️ {n} of your subscriptions resumed; they had paused because my messages could not reach you.",
    },
    "status_running": {"ar": "يعمل", "en": "active"},
    "status_muted": {"ar": "مكتوم", "en": "muted"},
    "status_blocked": {"ar": "متوقف: لم تصل رسائلي إليك", "en": "paused: my messages could not reach you"},
    "status_no access": {"ar": "متوقف: لا صلاحية", "en": "paused: no access"},
    "status_other": {"ar": "متوقف", "en": "paused"},
    "unsubscribe_usage": {
        "ar": "اكتب رقم الاشتراك، مثل: /unsubscribe 3 (يعرض /subscriptions الأرقام).",
        "en": "Write the subscription's number, e.g. /unsubscribe 3 (/subscriptions lists them).",
    },
    "unsubscribed": {"ar": "🗑 حُذف الاشتراك #{id}.", "en": "🗑 Subscription #{id} deleted."},
    "not_yours": {
        "ar": "ليس لديك اشتراك بالرقم #{id}؛ يعرض /subscriptions اشتراكاتك.",
        "en": "You have no subscription #{id}; /subscriptions lists yours.",
    },
    "muted": {
        "ar": "🔕 كُتم الاشتراك #{id}؛ أعده من /subscriptions.",
        "en": "🔕 #{id} muted; undo it in /subscriptions.",
    },
    "unmuted": {"ar": "🔔 عاد الاشتراك #{id} للعمل.", "en": "🔔 #{id} is active again."},
    "alert_header": {
        "ar": "🔔 جديد لاشتراكك «{query}» (#{id})",
        "en": "🔔 New for your subscription “{query}” (#{id})",
    },
    "digest_header": {"ar": "🔔 {n} مقالات جديدة لاشتراكاتك: {queries}", "en": "🔔 {n} new articles for: {queries}"},
    "also_from": {"ar": "أوردته أيضا:", "en": "Also reported by:"},
    "alert_button_open": {"ar": "📄 فتح", "en": "📄 Open"},
    "button_mute": {"ar": "🔕 كتم #{id}", "en": "🔕 Mute #{id}"},
    "button_unmute": {"ar": "🔔 تشغيل #{id}", "en": "🔔 Unmute #{id}"},
    "button_delete": {"ar": "🗑 حذف #{id}", "en": "🗑 Delete #{id}"},
}

# Admin ingestion, feeds and figures (bot/admin.py).
TEXTS |= {
    "add_admins_only": {
        "ar": "إضافة المقالات للمشرفين فقط.",
        "en": "Only admins can add articles to the archive.",
    },
    "add_usage": {
        "ar": "اكتب رابط الصفحة بعد الأمر، مثل: /add https://example.com/news/1",
        "en": "Write the page's link after the command, e.g. /add https://example.com/news/1",
    },
    "fetch_failed": {"ar": "تعذر جلب الصفحة: {reason}", "en": "Could not fetch the page: {reason}"},
    # The reasons (index.errors.FetchError subclasses), each filled into fetch_failed's {reason}.
    "fetch_private": {
        "ar": "العنوان {host} على شبكة داخلية أو خاصة، ولا أجلب مثله إلا إذا ضُبط ARSHIF_ALLOW_PRIVATE_URLS=1",
        "en": "{host} is on a private or local network; such addresses are fetched only with "
        "ARSHIF_ALLOW_PRIVATE_URLS=1",
    },
    "fetch_scheme": {"ar": "لا أجلب إلا روابط http:// و https://",
                     "en": "only http:// and https:// links can be added"},
    "fetch_status": {"ar": "أجاب الخادم بالرمز {status}", "en": "the server answered {status}"},
    "fetch_redirects": {"ar": "الرابط يحوّل إلى غيره أكثر من {limit} مرات",
                        "en": "the link redirects more than {limit} times"},
    "fetch_too_large": {"ar": "الصفحة أكبر من {size}", "en": "the page is larger than {size}"},
    "fetch_timeout": {"ar": "لم يُجب الخادم في الوقت المحدد", "en": "the server did not answer in time"},
    "fetch_connect": {"ar": "تعذر الاتصال بـ {host}", "en": "cannot connect to {host}"},
    "fetch_not_page": {"ar": "الرابط ليس صفحة ويب ({kind})", "en": "it is not a web page ({kind})"},
    "bad_type": {
        "ar": "لا أقرأ ملفات {suffix}؛ أرسل ملفا من: {allowed}",
        "en": "I cannot read {suffix} files; send one of: {allowed}",
    },
    "too_big": {
        "ar": "الملف أكبر من الحد ({limit} م.ب).",
        "en": "The file is larger than the limit ({limit} MB).",
    },
    "summary": {
        "ar": "أضيف: {added} · موجود مسبقا: {duplicates} · تعذر: {failed}",
        "en": "Added: {added} · already in the archive: {duplicates} · failed: {failed}",
    },
    "no_feeds": {
        "ar": "لا خلاصات بعد؛ أضف واحدة بالأمر: arshif feeds add URL",
        "en": "No feeds yet; add one with: arshif feeds add URL",
    },
    "feeds_header": {"ar": "الخلاصات ({n}):", "en": "Feeds ({n}):"},
    "feed_ok": {"ar": "✅ آخر نجاح {when}", "en": "✅ last success {when}"},
    "feed_never": {"ar": "⏳ لم تُجلب بعد", "en": "⏳ not polled yet"},
    "feed_failing": {
        "ar": "⚠️ {failures} إخفاقات متتالية: {error}",
        "en": "⚠️ {failures} failures in a row: {error}",
    },
    "stats_admins_only": {
        "ar": "أرقام الأرشيف للمشرفين فقط.",
        "en": "Only admins can see the archive figures.",
    },
    "stats_header": {"ar": "أرقام الأرشيف", "en": "Archive figures"},
    "stats_articles": {"ar": "المقالات: {articles}", "en": "Articles: {articles}"},
    "stats_latest": {
        "ar": "أحدث تاريخ نشر: {published} · آخر إضافة: {added}",
        "en": "Latest published: {published} · last added: {added}",
    },
    "stats_sources": {"ar": "المصادر: {sources}", "en": "Sources: {sources}"},
    "stats_feeds": {
        "ar": "الخلاصات: {feeds} (متعثرة: {failing})",
        "en": "Feeds: {feeds} ({failing} failing)",
    },
    "stats_subscriptions": {
        "ar": "الاشتراكات: {active} نشطة من {total}",
        "en": "Subscriptions: {active} active of {total}",
    },
    "stats_deliveries": {
        "ar": "التنبيهات المرسلة: {sent} · بانتظار الإرسال: {pending} · فشلت: {failed}",
        "en": "Alerts sent: {sent} · waiting: {pending} · failed: {failed}",
    },
    "stats_users": {"ar": "المستخدمون المسموح لهم: {users}", "en": "Allowed users: {users}"},
    "stats_size": {
        "ar": "حجم قاعدة البيانات: {size} م.ب (المخطط {schema})",
        "en": "Database size: {size} MB (schema {schema})",
    },
}


# Coverage charts, people, inline mode and answer feedback (issue 13).
TEXTS |= {
    "trend_usage": {
        "ar": "اكتب كلمات البحث بعد الأمر، مثل: /trend قناة السويس",
        "en": "Write the search words after the command, e.g. /trend suez canal",
    },
    "trend_title": {"ar": "«{query}»: المقالات {bucket}", "en": "\"{query}\": articles {bucket}"},
    "trend_per_day": {"ar": "يوميا", "en": "per day"},
    "trend_per_week": {"ar": "أسبوعيا", "en": "per week"},
    "trend_per_month": {"ar": "شهريا", "en": "per month"},
    "trend_axis": {"ar": "عدد المقالات", "en": "Articles"},
    "trend_other": {"ar": "مصادر أخرى", "en": "other sources"},
    "trend_caption": {
        "ar": "«{query}» — المقالات: {total} · الذروة: {peak_count} في {peak}",
        "en": "\"{query}\": {total} articles · peak {peak_count} on {peak}",
    },
    "trend_caption_week": {"ar": "أسبوع {date}", "en": "the week of {date}"},
    "trend_empty": {
        "ar": "لا مقالات تطابق «{query}»، فلا رسم بياني.",
        "en": "No articles match \"{query}\", so there is no chart.",
    },
    "trend_undated": {
        "ar": "تطابق «{query}» مقالات عددها {total}، لكن لا تاريخ نشر لأي منها، فلا رسم بياني.",
        "en": "{total} articles match \"{query}\" but none has a publication date, so there is no chart.",
    },
    "button_by_source": {"ar": "📊 حسب المصدر", "en": "📊 By source"},
    "who_usage": {
        "ar": "اكتب اسم الشخص بعد الأمر، مثل: /who مهاب مميش",
        "en": "Write the person's name after the command, e.g. /who John Kerry",
    },
    "who_unknown": {
        "ar": "لا أعرف أحدا باسم «{name}» في الأرشيف؛ جرب الاسم كما يكتب في الأخبار، أو /search {name}",
        "en": "I know nobody called \"{name}\" in the archive; try the name as the news writes it, or /search {name}",
    },
    "who_ambiguous": {
        "ar": "أكثر من شخص بهذا الاسم؛ اختر:",
        "en": "More than one person has this name; choose:",
    },
    "who_head": {"ar": "👤 {name}", "en": "👤 {name}"},
    "who_articles": {"ar": "عدد المقالات: {n} ({first} – {last})", "en": "In {n} articles ({first} – {last})."},
    "who_roles": {"ar": "الصفات:", "en": "Roles:"},
    "who_role": {"ar": "• {role} ({first} – {last}، {n} مرة)", "en": "• {role} ({first} – {last}, {n}×)"},
    "who_orgs": {"ar": "يظهر مع الجهات: {names}", "en": "Appears with organisations: {names}"},
    "who_people": {"ar": "ومع: {names}", "en": "And with: {names}"},
    "who_places": {"ar": "الأماكن: {names}", "en": "Places: {names}"},
    "who_latest": {"ar": "أحدث المقالات:", "en": "Latest articles:"},
    "feedback_thanks_up": {"ar": "شكرا! سُجل 👍", "en": "Thanks! 👍 recorded"},
    "feedback_thanks_down": {
        "ar": "شكرا! سُجل 👎؛ سيراجع المشرف هذا الجواب.",
        "en": "Thanks! 👎 recorded; the maintainers will review this answer.",
    },
    "inline_answer": {"ar": "💡 الجواب: {answer}", "en": "💡 Answer: {answer}"},
    "help_inline": {
        "ar": "في أي محادثة: اكتب @{bot} ثم كلمات أو سؤالا لتختار مقالا أو جوابا وترسله هناك "
        "(يفعّله المشرف مرة واحدة عند BotFather بالأمر /setinline).",
        "en": "In any chat: type @{bot} and words or a question to pick an article or an answer and "
        "share it there (the admin enables this once with BotFather's /setinline).",
    },
    "inline_refused": {"ar": "هذا الأرشيف خاص", "en": "This archive is private"},
    "inline_refused_text": {
        "ar": "هذا الأرشيف خاص؛ اطلب من أحد المشرفين أن يسمح لك.",
        "en": "This archive is private; ask an admin to let you in.",
    },
}

# Engine errors (index.errors) as users read them; bot.core.error_text picks the sentence.
TEXTS |= {
    "article_not_found": {
        "ar": "لا يوجد مقال بالرقم {id}؛ يعرض /latest أحدث المقالات.",
        "en": "No article has id {id}; /latest lists recent ones.",
    },
    "bad_date": {
        "ar": "«{value}» ليس تاريخا؛ اكتب {name}:2021 أو {name}:2021-07 أو {name}:2021-07-01.",
        "en": "«{value}» is not a date; write {name}:2021, {name}:2021-07 or {name}:2021-07-01.",
    },
    "reversed_dates": {
        "ar": "since:{since} بعد until:{until}؛ اعكسهما.",
        "en": "since:{since} is after until:{until}; swap them.",
    },
    "query_too_long": {
        "ar": "يمكن أن يكون نص الاشتراك {limit} حرفا على الأكثر؛ اختصره.",
        "en": "A subscription query can be at most {limit} characters; shorten it.",
    },
    "schema_too_new": {
        "ar": "صنع هذا الأرشيف إصدار أحدث من أرشيف (المخطط {version})؛ يجب تحديث البوت.",
        "en": "This archive was made by a newer arshif (schema {version}); the bot needs an upgrade.",
    },
    "feed_error": {"ar": "تعذر استخدام الخلاصة: {reason}", "en": "The feed cannot be used: {reason}"},
    "unknown_answer": {
        "ar": "لم يعد هذا الجواب معروفا؛ اسأل السؤال من جديد لتقييمه.",
        "en": "This answer is no longer known; ask the question again to rate it.",
    },
}


def t(key: str, lang: str = "ar", **values: object) -> str:
    """Returns the sentence ``key`` in ``lang`` (Arabic when the language is unknown), formatted."""
    entry = TEXTS[key]
    text = entry.get(lang) or entry["ar"]
    return text.format(**values) if values else text


def language_for(language_code: str | None, text: str | None = None) -> str:
    """Returns "en" for English speakers or Latin-only text, else "ar" (the bot's default)."""
    if language_code and language_code.lower().startswith("en"):
        return "en"
    if text and _LATIN_LETTER.search(text) and not _ARABIC_LETTER.search(text):
        return "en"
    return "ar"


def help_text(lang: str, *, bot_username: str | None = None,
              extra: Iterable[tuple[str, str, str, str]] = ()) -> str:
    """Returns the /help text: how to ask, then every command with its usage and description."""
    lines = [t("help_intro", lang)]
    for command, usage, ar, en in (*COMMANDS, *extra):
        lines.append(f"/{command}{usage} — {ar if lang == 'ar' else en}")
    lines.append("")
    lines.append(t("help_groups", lang, bot=bot_username or "arshif_bot"))
    lines.append(t("help_inline", lang, bot=bot_username or "arshif_bot"))
    return "\n".join(lines)


def command_menu(lang: str, extra: Iterable[tuple[str, str, str, str]] = ()) -> list[tuple[str, str]]:
    """Returns (command, description) pairs for Telegram's command menu in ``lang``."""
    return [(c, ar if lang == "ar" else en) for c, _usage, ar, en in (*COMMANDS, *extra)]
