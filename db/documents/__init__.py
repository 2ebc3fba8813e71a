"""Word documents the office sends out (the feedback letter; the notice and the circular still live in db/)."""
