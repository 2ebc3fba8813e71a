"""The app's own counters (/_review/metrics of every app process) read before and after the window, and
compared with what the generator saw: answers, submissions and votes must be equal, the questionnaire's
latency quantiles close (the server times a rerun from receiving it to the end of its run; the generator from
sending it to the script_finished it reads, so the websocket and its own parsing are on its side only)."""

from __future__ import annotations

import os
import urllib.request
from collections import defaultdict

from prometheus_client.parser import text_string_to_metric_families

from bench.hall.people import Record
from core.histogram import INTERACTION_BOUNDS, difference, quantile

COUNTERS = {"answers": ("review_answers_saved_total", None),
            "submitted": ("review_questionnaires_submitted_total", None),
            "votes_accepted": ("review_poll_votes_total", ("status", "accepted")),
            "votes_flagged": ("review_poll_votes_total", ("status", "flagged")),
            "votes_refused": ("review_poll_votes_total", ("status", "refused")),
            "store_errors": ("review_store_errors_total", None)}


def scrape(urls: list[str], timeout: float = 10) -> dict:
    """The counters summed over the processes, and each page's interaction histogram (cumulative, +Inf last)."""
    found: dict = {name: 0.0 for name in COUNTERS}
    pages: dict[str, list[float]] = defaultdict(lambda: [0.0] * (len(INTERACTION_BOUNDS) + 1))
    token = os.environ.get("METRICS_TOKEN", "").strip()
    for url in urls:
        request = urllib.request.Request(f"{url}/_review/metrics",
                                         headers={"Authorization": f"Bearer {token}"} if token else {})
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            text = answer.read().decode()
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                for name, (metric, label) in COUNTERS.items():
                    if sample.name == metric and (label is None or sample.labels.get(label[0]) == label[1]):
                        found[name] += sample.value
                if sample.name == "review_interaction_seconds_bucket":
                    bound = sample.labels["le"]
                    index = len(INTERACTION_BOUNDS) if bound == "+Inf" else \
                        INTERACTION_BOUNDS.index(min(INTERACTION_BOUNDS, key=lambda b: abs(b - float(bound))))
                    pages[sample.labels["page"]][index] += sample.value
    found["pages"] = dict(pages)
    return found


def questionnaire_latencies(record: Record) -> list[float]:
    """What the generator timed on /questionnaire in the window (ms): taps, 'next', review and submit, and the
    first run of the page after each reload (without the page load and the websocket's opening before it)."""
    return record.taps() + record.reopens


def compare(before: dict, after: dict, record: Record) -> tuple[dict[str, float], list[str]]:
    """The window's figures from both sides, and what disagrees in the counts."""
    seen = {name: after[name] - before[name] for name in COUNTERS}
    counts = difference(after["pages"].get("questionnaire", [0.0] * (len(INTERACTION_BOUNDS) + 1)),
                        before["pages"].get("questionnaire"))
    ours = sorted(questionnaire_latencies(record))
    figures = {f"server_{k}": v for k, v in seen.items()}
    figures.update({"server_questionnaire_interactions": counts[-1], "generator_questionnaire_interactions": len(ours)})
    for share in (0.5, 0.95):
        figures[f"server_p{round(share * 100)}_ms"] = quantile(INTERACTION_BOUNDS, counts, share) * 1000
        figures[f"generator_p{round(share * 100)}_ms"] = ours[min(len(ours) - 1, round(share * (len(ours) - 1)))] \
            if ours else float("nan")
    expected = {"answers": len(record.latencies.get("answer", [])), "submitted": len(record.finished),
                "votes": len(record.votes), "votes_refused": record.refused}
    got = {"answers": seen["answers"], "submitted": seen["submitted"],
           "votes": seen["votes_accepted"] + seen["votes_flagged"], "votes_refused": seen["votes_refused"]}
    problems = [f"/_review/metrics counted {got[k]:.0f} {k.replace('_', ' ')}, the generator {n}"
                for k, n in expected.items() if got[k] != n]
    return figures, problems
