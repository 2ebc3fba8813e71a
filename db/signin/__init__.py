"""Staying signed in: staff sessions kept in the database, and read-only display links for wall screens.

`sessions` signs in and out and finds the user of a cookie; `ending` ends a user's sessions when
their account changes; `display_links` creates, checks and revokes the links of /live wall screens.
"""
