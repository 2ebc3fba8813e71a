"""Complaints from the public poll (the 好差评 loop), in four modules:

- intake: a citizen's 不满意 vote with a comment becomes a complaint with a receipt code; the
  phone number for a call back; the citizen reads the answer and rates the handling.
- handling: the unit's liaison and the office work the complaint through its life cycle
  (core.complaints), the office's figures, the phone numbers erased on schedule.
- posters: the window QR posters (PDF).
- demo: complaints in every state for the demo campaigns.

Nothing is imported here: db.poll calls handling when votes are ruled on, and intake calls db.poll.
"""
