"""The demo: made-up but realistic years, every row marked as demo, written through the store.

- `years`: `load_demo`, the two finished years before today and today's year, running today;
  `comments` and `complaints` add their rows to each year in the year's transaction.
- `purge`: `purge_demo`, which removes exactly the demo's rows.
- `invitations`: the owner-only file of the running year's links and venue codes.
- `info`: what `make run` prints (what to try); `traffic`: votes and answers arriving while
  someone watches /live.

Only `db.commands`, `bench/` and the tests import this package; the store never does.
"""
