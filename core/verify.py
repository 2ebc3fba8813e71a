"""`python -m core.verify FILE.zip`: recompute a published result from its verification bundle alone.

Reads nothing but the zip (no database, no network): checks every file against the manifest's SHA-256,
rebuilds the scoring inputs (core.bundle), scores them with the same rules (core.scoring, with the
weight draws the result used) and compares every unit's components, total, grade, rank and rank
interval with the published figures, scores to the published decimals. Prints `all N units match`
or, per unit, what differs. Exit 0 when everything matches; 1 on any difference, a manifest that
does not match the files, or a bundle it cannot read (one line, never a traceback).
"""

from __future__ import annotations

import sys
from pathlib import Path

from core.bundle import DECIMALS, NOT_REPRODUCIBLE, Bundle, BundleError, differences, inputs_from, sha256, unpack
from core.errors import UserError

EXIT_MATCH, EXIT_DIFFERENT = 0, 1


def recompute(bundle: Bundle) -> list[dict]:
    """The figures core.scoring gives for a bundle's inputs and settings (no bootstrap: see core.bundle)."""
    from core.scoring import score

    scheme = bundle.scheme
    scoring = score(inputs_from(bundle), scheme["settings"], replicates=0, draws=int(scheme["weight_draws"]))
    return [{"code": u.code, "components": u.components, "total": u.total, "grade": u.grade, "rank": u.rank,
             "rank_low": u.rank_low, "rank_high": u.rank_high} for u in scoring.units]


def verify(data: bytes) -> tuple[bool, list[str]]:
    """(everything matches, the lines to print) for a bundle's bytes; raises BundleError when unreadable."""
    bundle = unpack(data)
    scheme = bundle.scheme
    try:
        mine = recompute(bundle)
        published = bundle.tables["published.csv"]
        decimals = int(scheme.get("decimals", DECIMALS))
    except (KeyError, ValueError, TypeError, IndexError) as error:
        raise BundleError("bundle.unreadable", "the bundle's contents cannot be read ({error})",
                          error=f"{type(error).__name__}: {error}") from error
    names = {u["code"]: u["name"] for u in scheme["units"]}
    lines = [f"bundle SHA-256 {sha256(data)}",
             f"campaign {scheme.get('campaign')} version {scheme.get('version')}, engine {scheme.get('engine')}, "
             f"code {bundle.manifest.get('code_version', '?')}",
             f"not recomputed: {', '.join(NOT_REPRODUCIBLE)} (the bootstrap needs each reviewer's answers, "
             "which the bundle leaves out)"]
    differ = differences(published, mine, decimals)
    for code in [row["unit"] for row in published] + sorted(set(differ) - {row["unit"] for row in published}):
        if code in differ:
            lines.append(f"{code} {names.get(code, '')}: " + "; ".join(differ[code]))
    if differ:
        lines.append(f"{len(differ)} of {len(published)} units differ")
    else:
        lines.append(f"all {len(published)} units match")
    return not differ, lines


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1 or args[0] in ("-h", "--help"):
        print("usage: python -m core.verify FILE.zip", file=sys.stderr)
        return EXIT_DIFFERENT
    try:
        data = Path(args[0]).read_bytes()
    except OSError as error:
        print(f"error: cannot read {args[0]}: {error.strerror or error}", file=sys.stderr)
        return EXIT_DIFFERENT
    try:
        same, lines = verify(data)
    except UserError as error:
        print(f"error: {error.english()}", file=sys.stderr)
        return EXIT_DIFFERENT
    except Exception as error:  # a verifier answers in one line, whatever the bundle holds
        print(f"error: the bundle cannot be checked ({type(error).__name__}: {error})", file=sys.stderr)
        return EXIT_DIFFERENT
    print("\n".join(lines))
    return EXIT_MATCH if same else EXIT_DIFFERENT


if __name__ == "__main__":
    sys.exit(main())
