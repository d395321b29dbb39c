"""Fetching articles into the inbox: feeds, sitemaps and single pages over
HTTP, politely (robots.txt, per-host limits, conditional GET) and safely
(no private addresses unless allowed, bounded time and size).

Runs before ingest in the data flow: what it writes is an inbox file that
`clean` and `digest` read like any other page (see `inbox` for the format).
"""
