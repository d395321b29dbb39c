"""Words and phrases of page chrome in German, English, French, Italian and Spanish.

This is data, not logic: the cleaner matches lines against these after
normalising them (lowercase, bullets, counts and trailing punctuation removed).
Entries are generic site furniture, never sentences of a particular article.
"""

from __future__ import annotations

# A short line starting with one of these opens a list of other stories; once
# the article body has begun, it ends the article.
STOP_HEADINGS: tuple[str, ...] = (
    # de
    "weitere meldungen", "weitere nachrichten", "weitere artikel", "mehr zum thema",
    "mehr aus", "mehr news", "das könnte sie auch interessieren",
    "das könnte dich auch interessieren", "auch interessant", "ebenfalls interessant",
    "meistgelesen", "meistgelesene artikel", "meist gelesen", "meistgesehen", "meistkommentiert",
    "meistgeteilt", "ähnliche artikel", "verwandte artikel", "verwandte themen",
    "empfehlungen der redaktion", "unsere empfehlungen", "top-themen", "top themen",
    "neueste artikel", "neueste meldungen", "aktuelle nachrichten", "zum thema",
    "aus dem ressort", "top-stories", "top stories", "beliebte artikel",
    "weitere themen", "andere leser lasen auch", "leser interessierten sich auch für",
    "news im überblick", "schlagzeilen", "weitere videos", "mehr videos",
    # en
    "related", "related articles", "related stories", "related content", "related news",
    "related coverage", "more on this story", "more stories", "more from", "more news",
    "more in", "most read", "most popular", "most viewed", "most watched", "you may also like",
    "you might also like", "recommended", "recommended for you", "trending",
    "trending now", "latest news", "latest stories", "top stories", "read next",
    "what to read next", "also read", "more like this", "around the web",
    "editor's picks", "editors' picks", "popular now", "more videos",
    # fr
    "lire aussi", "à lire aussi", "a lire aussi", "à lire également", "lire également",
    "sur le même sujet", "les plus lus", "les plus vus", "les plus partagés", "dans la même rubrique",
    "articles similaires", "articles liés", "nos articles", "à découvrir",
    "à voir aussi", "plus d'actualités", "dernières actualités", "les dernières infos", "autres vidéos",
    # it
    "leggi anche", "potrebbe interessarti", "ti potrebbe interessare",
    "potrebbero interessarti", "articoli correlati", "i più letti", "più letti", "i più visti", "più visti",
    "altre notizie", "notizie correlate", "ultime notizie", "correlati",
    "dalla stessa sezione", "da non perdere", "altri video",
    # es
    "te puede interesar", "también te puede interesar", "noticias relacionadas",
    "lo más leído", "lo más visto", "más noticias", "más leídas", "más vistos", "relacionados",
    "relacionadas", "últimas noticias", "te recomendamos", "más videos", "más vídeos",
)

# A short line equal to one of these is chrome wherever it stands.
CHROME_LINES: frozenset[str] = frozenset({
    # de
    "teilen", "artikel teilen", "beitrag teilen", "drucken", "artikel drucken",
    "schriftgröße", "schrift", "textgröße", "merken", "artikel merken", "gemerkt",
    "vorlesen", "artikel vorlesen", "artikel anhören", "anhören", "link kopieren",
    "per e-mail teilen", "e-mail", "kommentare", "kommentar", "kommentieren",
    "kommentare anzeigen", "kommentar schreiben", "kommentar verfassen",
    "kommentare lesen", "login", "log in", "anmelden", "abmelden", "registrieren",
    "abonnieren", "jetzt abonnieren", "abo", "abo abschließen", "newsletter",
    "zur startseite", "startseite", "nach oben", "zurück", "zurück zur übersicht",
    "weiterlesen", "mehr anzeigen", "mehr laden", "alle anzeigen", "gesamten artikel lesen",
    "ganzen artikel lesen", "artikel lesen", "jetzt melden", "anzeige", "anzeigen",
    "werbung", "sponsored", "externen inhalt anzeigen", "empfohlener externer inhalt",
    "externer inhalt", "inhalt laden", "inhalte laden", "video abspielen", "bildergalerie",
    "galerie", "zur galerie", "mehr dazu", "es gibt neue nachrichten",
    "jetzt startseite laden", "impressum", "datenschutz", "datenschutzerklärung",
    "kontakt", "agb", "cookie-einstellungen", "cookie einstellungen",
    "privatsphäre-einstellungen", "alle akzeptieren", "akzeptieren", "ablehnen",
    "alle ablehnen", "einstellungen", "zustimmen", "zustimmen und weiter", "einverstanden",
    "menü", "menu", "suche", "suchen", "navigation", "hauptnavigation", "schließen",
    "zum inhalt springen", "direkt zum inhalt", "feedback", "hilfe", "mediathek",
    "audio", "video", "livestream", "live", "e-paper", "epaper", "podcast", "podcasts",
    "wetter", "horoskop", "home", "mehr", "themen", "ressorts", "archiv", "service",
    "jobs", "immobilien", "traueranzeigen", "gewinnspiele", "shop", "tickets",
    "artikel verschenken", "geschenkt", "plus", "premium", "exklusiv",
    # en
    "share", "share this", "share this article", "share this story", "share article",
    "tweet", "print", "print this page", "email", "save", "save article", "saved",
    "copy link", "comments", "comment", "view comments", "show comments", "add comment",
    "leave a comment", "sign in", "sign up", "log out", "register", "subscribe",
    "subscribe now", "advertisement", "advert", "sponsored content", "skip to content",
    "skip to main content", "skip to navigation", "main menu", "search", "close",
    "accept", "accept all", "accept cookies", "reject all", "reject", "manage cookies",
    "cookie settings", "cookie preferences", "manage preferences", "privacy policy",
    "privacy", "terms of use", "terms of service", "terms and conditions",
    "contact us", "contact", "about us", "follow us", "back to top", "listen",
    "listen to this article", "read more", "show more", "load more", "see more",
    "continue reading", "full story", "watch", "play video", "image", "photo",
    "gallery", "newsletters", "sections", "topics", "more", "go", "sport", "news",
    "opinion", "world", "business", "culture", "lifestyle", "weather",
    # fr
    "partager", "imprimer", "commentaires", "commenter", "réagir", "se connecter",
    "connexion", "s'abonner", "abonnez-vous", "je m'abonne", "publicité",
    "accepter", "tout accepter", "accepter et fermer", "refuser", "tout refuser",
    "continuer sans accepter", "paramétrer les cookies", "gérer les cookies",
    "politique de confidentialité", "mentions légales", "lire la suite", "écouter",
    "écouter cet article", "fermer", "rechercher", "accueil", "newsletter",
    "suivez-nous", "retour en haut", "voir plus", "en direct",
    # it
    "condividi", "stampa", "commenti", "commenta", "accedi", "abbonati", "abbonamenti",
    "pubblicità", "accetta", "accetta tutti", "accetta e chiudi", "rifiuta",
    "rifiuta tutti", "leggi tutto", "leggi di più", "continua a leggere", "iscriviti",
    "informativa sulla privacy", "informativa privacy", "cookie policy", "torna su",
    "chiudi", "cerca", "seguici", "ascolta", "ascolta l'articolo",
    # es
    "compartir", "imprimir", "comentarios", "comentar", "iniciar sesión",
    "suscríbete", "suscribirse", "publicidad", "aceptar", "aceptar todo", "rechazar",
    "leer más", "seguir leyendo", "política de privacidad", "aviso legal", "cerrar",
    "buscar", "síguenos", "escuchar", "escuchar noticia", "portada",
    # networks
    "facebook", "twitter", "x", "instagram", "whatsapp", "linkedin", "telegram", "rss",
    "pinterest", "tiktok", "youtube", "xing", "threads", "bluesky", "mastodon",
    "flipboard", "reddit", "messenger", "pocket",
})

# A short line starting with one of these is chrome (a label plus a link text).
CHROME_PREFIXES: tuple[str, ...] = (
    "lesen sie auch", "lesen sie mehr", "lies auch", "mehr zum thema:", "siehe auch",
    "zum thema:", "auch interessant:", "fehler im artikel gefunden", "jetzt melden",
    "hier geht es zu", "hier geht's zu", "hier finden sie", "alle rechte vorbehalten",
    "zum liveblog", "zum newsblog", "zum ticker", "artikel-id", "artikel id",
    "read more:", "read more about", "see also", "related:", "more:", "watch:",
    "listen:", "all rights reserved", "sign up for", "get the latest",
    "lire aussi", "à lire aussi", "a lire aussi", "voir aussi", "tous droits réservés",
    "leggi anche", "guarda anche", "riproduzione riservata", "tutti i diritti riservati",
    "lee también", "lea también", "ver también", "todos los derechos reservados",
    "listen to this article", "listen to this story", "artikel anhören", "artikel vorlesen",
    "beitrag anhören", "écouter cet article", "écouter l'article", "ascolta l'articolo",
    "ascolta questo articolo", "escuchar noticia", "escuchar artículo", "audio:", "hören sie",
    "jetzt weiterlesen", "weiterlesen mit", "dieser artikel ist nur für abonnenten", "bereits abonnent",
    "subscribe to continue", "to continue reading", "this article is for subscribers",
    "already a subscriber", "already have an account", "cet article est réservé aux abonnés",
    "articolo riservato agli abbonati", "contenido exclusivo para suscriptores",
    "das video konnte nicht", "video konnte nicht abgespielt", "zur bildergalerie", "bild vergrößern",
    "click here", "hier klicken", "mehr erfahren", "learn more", "en savoir plus", "scopri di più",
    "más información", "aktuelle seite:", "sie sind hier:", "du bist hier:", "you are here:",
    "vous êtes ici", "ti trovi in:", "sei in:", "estás en:", "usted está en:",
)

# Words of consent banners and embed notices; two of them in one line (or
# sentence) mark it as such.
CONSENT_TERMS: tuple[str, ...] = (
    r"einverstanden", r"zustimmung", r"datenschutzerklärung", r"datenschutzhinweis",
    r"drittplattform", r"drittanbieter", r"externe[nrs]? inhalt", r"personenbezogene",
    r"cookies?\b", r"tracking", r"privacy policy", r"consent", r"third[- ]party",
    r"external content", r"personal data", r"données personnelles",
    r"politique de confidentialité", r"consentement", r"contenu externe",
    r"contenus? tiers", r"contenuti esterni", r"consenso", r"informativa",
    r"terze parti", r"datos personales", r"política de privacidad",
    r"consentimiento", r"contenido externo", r"widerruf", r"jederzeit",
    r"anzeigen lassen", r"freischalten", r"aktivieren", r"zurücknehmen",
    r"revoke", r"withdraw", r"at any time", r"à tout moment", r"in qualsiasi momento",
    r"en cualquier momento", r"opt[- ]out", r"nutzungsbedingungen",
)

# Pointers to live blogs and other coverage, usually the last sentence.
# Lines that sell the outlet's newsletter, subscription or social accounts.
PROMO_PATTERNS: tuple[str, ...] = (
    r"\bnewsletters?\b", r"\bsign(?:ing)? up\b", r"\bsubscri(?:be|ption)\b", r"\byour inbox\b",
    r"\bfollow us\b", r"\bdownload (?:the|our) app\b", r"\bclick here\b", r"\btell us what you think\b",
    r"\bshare (?:it|this) with\b", r"\babonnieren\b", r"\bjetzt anmelden\b", r"\binscrivez-vous\b",
    r"\biscriviti\b",
)

POINTER_PATTERNS: tuple[str, ...] = (
    r"(?i)\b(?:verfolgen sie|folgen sie|lesen sie|mehr (?:dazu|infos?)|alle (?:aktuellen )?"
    r"(?:entwicklungen|informationen|news)|die (?:aktuellen )?entwicklungen)\b[^.!?]*"
    r"\b(?:live-?blog|news-?blog|live-?ticker|ticker|newsticker|überblick)\w*",
    r"(?i)\b(?:follow|read|see|get)\b[^.!?]*\b(?:our|the)\b[^.!?]*\b(?:live ?blog|live coverage|"
    r"live updates|full coverage)\b",
    r"(?i)\b(?:suivez|retrouvez)\b[^.!?]*\b(?:direct|live)\b",
    r"(?i)\b(?:segui|seguite)\b[^.!?]*\b(?:diretta|live)\b",
    r"(?i)\b(?:sigue|siga)\b[^.!?]*\b(?:directo|en vivo)\b",
    r"(?i)\b(?:melden sie sich|abonnieren sie)\b[^.!?]*\bnewsletter\b",
    r"(?i)^(?:über dieses thema berichtete|dieses thema im programm|mit informationen von|"
    r"this story was reported by|additional reporting by|cet article a été rédigé avec)\b",
    r"(?i)\bsign up\b[^.!?]*\bnewsletter\b",
    r"(?i)\b(?:abonnez-vous|inscrivez-vous)\b[^.!?]*\bnewsletter\b",
    r"(?i)\biscriviti\b[^.!?]*\bnewsletter\b",
)

# Author notes at the foot of an article ("Jane Doe covers city hall. Reach her at …").
AUTHOR_NOTE_PATTERNS: tuple[str, ...] = (
    r"(?i)\b(?:covers|writes about|reports on|is a (?:staff |senior )?(?:reporter|writer|correspondent|editor))\b",
    r"(?i)\b(?:reach|contact|email|follow) (?:him|her|them|the author)\b",
    r"(?i)\b(?:ist|arbeitet als) (?:redakteur|redakteurin|korrespondent|korrespondentin|reporter|reporterin)\b",
    r"(?i)\b(?:schreibt|berichtet) (?:für|über|seit)\b.{0,60}\b(?:redaktion|ressort|zeitung)\b",
    r"(?i)\b(?:est|était) (?:journaliste|correspondant|correspondante|rédacteur|rédactrice)\b",
    r"(?i)\b(?:è|lavora come) (?:giornalista|corrispondente|redattore|redattrice)\b",
    r"(?i)\b(?:es|trabaja como) (?:periodista|corresponsal|redactor|redactora)\b",
)

# Short whole lines about comments: "12 Kommentare", "Aktuell sind 0 Kommentare vorhanden".
COMMENT_PATTERNS: tuple[str, ...] = (
    r"^\d+\s+(?:kommentare?|comments?|commentaires?|commenti|comentarios?|reaktionen|leserbriefe)$",
    r"^(?:kommentare?|comments?|commentaires?|commenti|comentarios?)\s*[(:]?\s*\d+\)?$",
    r"\b(?:aktuell|derzeit|bisher) (?:sind|gibt es) (?:\d+|keine) kommentare",
    r"^(?:no comments yet|be the first to comment|sei der erste|schreiben sie den ersten kommentar)",
    r"\b(?:lesezeit|reading time|temps de lecture|tempo di lettura|tiempo de lectura)\b",
    # "declined to comment" and "a request to comment" are the article's sentences.
    r"\b(?:um zu kommentieren|um kommentare zu|(?<!declined )(?<!refused )(?<!request )(?<!unavailable )"
    r"to (?:leave a |post a )?comment|pour commenter|per commentare|para comentar)\b",
    r"^(?:leser|user|nutzer|reader)?(?:kommentare?|comments?|commentaires?|commenti|comentarios?)\s*\(?\d*\)?$",
    r"^\d+\s*(?:min\.?|minuten?|minutes?|minuti)\s*(?:lesezeit|read|de lecture|di lettura|de lectura)?$",
)

# Picture agencies and news agencies seen in credits and bylines.
AGENCIES: tuple[str, ...] = (
    "dpa", "apa", "afp", "ap", "reuters", "getty", "getty images", "imago", "epa",
    "ansa", "efe", "keystone", "sda", "kna", "epd", "picture alliance",
    "picture-alliance", "shutterstock", "istock", "istockphoto", "adobe stock",
    "ddp", "kyodo", "xinhua", "tass", "ukrinform", "belga", "anp", "lusa", "ritzau",
    "tt", "ntb", "photothek", "action press", "sipa", "ansa foto", "lapresse",
    "europa press", "agencia efe", "aa", "bbc", "pa", "pa media", "pa images", "alamy",
    "agence france presse", "agence france-presse", "associated press",
)

# Labels next to a date that do not make a line more than a date line.
DATE_LABELS: frozenset[str] = frozenset({
    "uhr", "am", "um", "stand", "erstellt", "geändert", "aktualisiert", "veröffentlicht", "erschienen",
    "zuletzt", "datum", "von", "seit", "published", "updated", "last", "posted",
    "on", "at", "date", "publié", "le", "à", "mis", "jour", "modifié", "pubblicato",
    "il", "alle", "aggiornato", "ore", "publicado", "el", "a", "las", "actualizado",
    "de", "h", "gmt", "utc", "cet", "mez", "cest", "mesz", "bst", "est", "edt", "pm",
    "am.", "p.m.", "a.m.",
    "montag", "dienstag", "mittwoch", "donnerstag", "freitag", "samstag", "sonntag",
    "sonnabend", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday",
    "sunday", "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche",
    "lunedì", "martedì", "mercoledì", "giovedì", "venerdì", "sabato", "domenica",
    "lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo",
    "mo", "di", "mi", "do", "fr", "sa", "so", "mon", "tue", "wed", "thu", "fri", "sat", "sun",
})

# Frequent function words; prose is full of them, menus and headline lists are not.
STOPWORDS: frozenset[str] = frozenset(
    """
    der die das den dem des ein eine einen einem einer eines und oder aber in im
    ins an am auf aus bei mit nach von vom zu zum zur für über unter vor hinter
    ist sind war waren wird werden wurde wurden hat haben hatte hatten sei seien
    sich nicht auch noch nur so wie als wenn dass daß es er sie wir ihr ich man
    the a an and or but of to in on at for with from by as is are was were be been
    has have had it its this that these those which who not also will would can
    le la les un une des du de et ou mais en dans sur pour par avec au aux est
    sont était ont a été qui que ne pas il elle ils se ce cette son sa ses plus
    il lo gli i una uno del della dei delle e o ma di da nel nella per con su
    è sono era ha hanno che non si al alla come anche più ai
    el los las unos unas y pero en del al por para con es son fue han ha que no
    se su sus como más lo
    """.split()
)
