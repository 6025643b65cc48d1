"""The pages the server renders itself: the login form and the page that holds the terminal,
in French or English after the browser's Accept-Language, with no third-party asset.
"""

from __future__ import annotations

from html import escape

TEXTS = {
    "en": {
        "title": "Sign in · prospect-tui",
        "heading": "prospect-tui",
        "username": "User name",
        "password": "Password",
        "submit": "Sign in",
        "wrong": "Wrong user name or password.",
        "locked": "Too many failed attempts. Try again in a few minutes.",
        "expired": "The form had expired: please try again.",
        "upload_link": "Upload a lead file",
        "upload_title": "Upload a lead file · prospect-tui",
        "upload_file": "Lead file (CSV, TXT, TSV, xlsx, xlsm, xlsb, xls, ods; {mb} MB at most)",
        "upload_submit": "Upload",
        "uploaded": "{name} is uploaded: in the session, press i and pick it from the list.",
        "refused": "Only a supervisor may import lead files.",
        "too_big": "The file is larger than {mb} MB: split it.",
        "not_lead": "Not a lead file: CSV, TXT, TSV, xlsx, xlsm, xlsb, xls or ods.",
        "no_file": "Choose a file first.",
        "off": "This server takes no uploads.",
        "failed": "The file could not be saved on the server.",
        "session": "prospect-tui",
        "ended": "Session ended.",
        "elsewhere": "This session was opened in another tab or browser.",
        "full": "The server is full: try again in a few minutes.",
        "idle": "Session ended: no key for a while. Its lead went back to the pool.",
        "resume": "Resume the session",
    },
    "fr": {
        "title": "Connexion · prospect-tui",
        "heading": "prospect-tui",
        "username": "Nom d'utilisateur",
        "password": "Mot de passe",
        "submit": "Se connecter",
        "wrong": "Nom d'utilisateur ou mot de passe incorrect.",
        "locked": "Trop d'essais infructueux. Réessayez dans quelques minutes.",
        "expired": "Le formulaire avait expiré : veuillez réessayer.",
        "upload_link": "Déposer un fichier de prospects",
        "upload_title": "Déposer un fichier · prospect-tui",
        "upload_file": "Fichier (CSV, TXT, TSV, xlsx, xlsm, xlsb, xls, ods ; {mb} Mo au plus)",
        "upload_submit": "Déposer",
        "uploaded": "{name} est déposé : dans la session, appuyez sur i et choisissez-le.",
        "refused": "Seul un superviseur peut importer des fichiers de prospects.",
        "too_big": "Le fichier dépasse {mb} Mo : découpez-le.",
        "not_lead": "Pas un fichier de prospects : CSV, TXT, TSV, xlsx, xlsm, xlsb, xls ou ods.",
        "no_file": "Choisissez d'abord un fichier.",
        "off": "Ce serveur ne reçoit pas de fichiers.",
        "failed": "Le fichier n'a pas pu être enregistré sur le serveur.",
        "session": "prospect-tui",
        "ended": "Session terminée.",
        "elsewhere": "Cette session a été ouverte dans un autre onglet ou navigateur.",
        "full": "Le serveur est complet : réessayez dans quelques minutes.",
        "idle": "Session terminée : aucune touche depuis un moment. Sa fiche est revenue"
        " dans la file.",
        "resume": "Reprendre la session",
    },
}

# The fonts and scripts are textual-serve's own copies, served from /static.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline';"
    " font-src 'self'; img-src 'self' data:; connect-src 'self';"
    " form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)


def language(accept_language: str) -> str:
    """'fr' or 'en', the first of the two the browser prefers (English when neither)."""
    choices: list[tuple[float, int, str]] = []
    for position, part in enumerate(accept_language.split(",")[:20]):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                continue
        primary = tag.strip().lower().split("-")[0]
        if primary in TEXTS:
            choices.append((-quality, position, primary))
    return min(choices)[2] if choices else "en"


def login_page(lang: str, csrf: str, message: str = "", username: str = "") -> str:
    text = TEXTS[lang]
    notice = f'<p class="error" role="alert">{escape(text[message])}</p>' if message else ""
    return f"""<!DOCTYPE html>
<html lang="{lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(text["title"])}</title>
<link rel="stylesheet" href="/assets/prospect.css">
</head>
<body class="login">
<main>
<h1>{escape(text["heading"])}</h1>
{notice}
<form method="post" action="/login">
<input type="hidden" name="csrf" value="{escape(csrf)}">
<label for="username">{escape(text["username"])}</label>
<input id="username" name="username" autocomplete="username" required autofocus
 maxlength="64" value="{escape(username)}">
<label for="password">{escape(text["password"])}</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit">{escape(text["submit"])}</button>
</form>
</main>
</body>
</html>
"""


def upload_page(lang: str, csrf: str, max_mb: int, message: str = "", name: str = "") -> str:
    """The form that sends a lead file from the user's computer (POST /upload, multipart:
    the CSRF token first, so it is checked before a byte of the file is saved)."""
    text = TEXTS[lang]
    notice = ""
    if message:
        line = text[message].format(name=name, mb=max_mb)
        role = "status" if message == "uploaded" else "alert"
        kind = "done" if message == "uploaded" else "error"
        notice = f'<p class="{kind}" role="{role}">{escape(line)}</p>'
    return f"""<!DOCTYPE html>
<html lang="{lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(text["upload_title"])}</title>
<link rel="stylesheet" href="/assets/prospect.css">
</head>
<body class="login">
<main>
<h1>{escape(text["upload_link"])}</h1>
{notice}
<form method="post" action="/upload" enctype="multipart/form-data">
<input type="hidden" name="csrf" value="{escape(csrf)}">
<label for="file">{escape(text["upload_file"].format(mb=max_mb))}</label>
<input id="file" name="file" type="file" required
 accept=".csv,.txt,.tsv,.xlsx,.xlsm,.xlsb,.xls,.ods">
<button type="submit">{escape(text["upload_submit"])}</button>
</form>
</main>
</body>
</html>
"""


def session_page(lang: str, websocket_url: str, font_size: int = 16, upload: bool = False) -> str:
    """textual-serve's terminal, without its web font from a third-party host; with a link
    to the upload form for those who may import (it opens beside the session)."""
    text = TEXTS[lang]
    link = (
        f'<a class="upload-link" href="/upload" target="_blank" rel="noopener">'
        f"{escape(text['upload_link'])}</a>"
        if upload
        else ""
    )
    return f"""<!DOCTYPE html>
<html lang="{lang}">
<head>
<meta charset="utf-8">
<title>{escape(text["session"])}</title>
<link rel="stylesheet" href="/static/css/xterm.css">
<link rel="stylesheet" href="/assets/prospect.css">
<script src="/static/js/textual.js"></script>
<script src="/assets/session.js"></script>
</head>
<body class="session">
<div id="start"></div>
<div class="ended">{escape(text["ended"])}</div>
<a class="resume" href="/" hidden>{escape(text["resume"])}</a>
{link}
<div id="terminal" class="textual-terminal"
 data-session-websocket-url="{escape(websocket_url)}" data-font-size="{font_size}"></div>
</body>
</html>
"""
