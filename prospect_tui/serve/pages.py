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
        "session": "prospect-tui",
        "ended": "Session ended.",
        "elsewhere": "This session was opened in another tab or browser.",
        "full": "The server is full: try again in a few minutes.",
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
        "session": "prospect-tui",
        "ended": "Session terminée.",
        "elsewhere": "Cette session a été ouverte dans un autre onglet ou navigateur.",
        "full": "Le serveur est complet : réessayez dans quelques minutes.",
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


def session_page(lang: str, websocket_url: str, font_size: int = 16) -> str:
    """textual-serve's terminal, without its web font from a third-party host."""
    text = TEXTS[lang]
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
<div id="terminal" class="textual-terminal"
 data-session-websocket-url="{escape(websocket_url)}" data-font-size="{font_size}"></div>
</body>
</html>
"""
