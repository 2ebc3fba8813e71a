"""The demo as a campaign running today: its owner-only invitation file, what to try, live traffic.

db/demo.py writes the demo years; this package holds what a person trying the app needs on
the day: the plain-text links and venue codes (`invitations`), the message `make run` prints
(`info`), and votes and answers arriving while someone watches /live (`traffic`).
"""
