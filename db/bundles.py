"""Verification bundles: built when a version is scored, kept as bytes, handed out by role.

A version's bundle (documents.bundle) is built from the very inputs its figures came from, in the
transaction that stores the version, and never rebuilt: its SHA-256, printed on the 通报 and the
results page, matches the file for good. A version scored before bundles existed gets its bundle on
first request, while its inputs still give its input SHA-256; otherwise none can be made honestly
and the request is refused.

Who may download (`bundle_for`): the office any version; leaders and analysts any published
version; a liaison a published version; nobody else with an account; without an account, the
campaign's newest published version and only while the campaign's setting `bundle.public` is on
(the /verify page), which the office switches (`set_public`, audited).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlmodel import Session, col, select

from core.errors import NotFound, UserError
from db.access import Actor, require
from db.campaigns import get_campaign, update_settings
from db.models import Campaign, Result, ResultBundle
from db.scoring import load_inputs, store_bundle

OFFICE = ("admin",)
PUBLISHED_READERS = ("admin", "leader", "analyst", "liaison")


def _stored(session: Session, result_id: int) -> ResultBundle | None:
    return session.exec(select(ResultBundle).where(ResultBundle.result_id == result_id)).first()


def ensure_bundle(session: Session, result: Result) -> ResultBundle:
    """The stored bundle; for a version scored before bundles, built now if its inputs are unchanged."""
    bundle = _stored(session, result.id)
    if bundle is not None:
        return bundle
    as_of = date.fromisoformat(result.config["as_of"])
    inputs = load_inputs(session, result.campaign_id, today=as_of)
    if inputs.digest(result.config["settings"]) != result.input_hash:  # the settings it used, whatever today's
        raise UserError("bundle.stale", "version {version} was scored before bundles were kept and its data has "
                        "changed since: no bundle can reproduce it", version=result.version)
    return store_bundle(session, result, inputs)


def bundle_sha(session: Session, result_id: int) -> str | None:
    """The SHA-256 of a version's bundle, None when it has none yet (shown on the page and the 通报)."""
    bundle = _stored(session, result_id)
    return bundle.sha256 if bundle else None


def is_public(campaign: Campaign) -> bool:
    return bool((campaign.settings or {}).get("bundle", {}).get("public"))


def set_public(session: Session, *, actor: Actor, year: int, public: bool) -> Campaign:
    """Offer (or stop offering) the campaign's published bundle on /verify, without sign-in; audited
    through the settings change. Not a scoring setting: it leaves the input SHA-256 alone."""
    require(actor, *OFFICE)
    campaign = get_campaign(session, year)
    settings = dict(campaign.settings)
    settings["bundle"] = {**dict(settings.get("bundle") or {}), "public": bool(public)}
    return update_settings(session, actor=actor, year=year, settings=settings)


@dataclass(frozen=True)
class Download:
    filename: str
    content: bytes
    sha256: str
    year: int
    version: int


def _newest_published(session: Session, campaign_id: int) -> Result | None:
    return session.exec(select(Result).where(Result.campaign_id == campaign_id, Result.status == "published")
                        .order_by(col(Result.version).desc())).first()


def bundle_for(session: Session, *, actor: Actor | None, year: int, version: int | None = None) -> Download:
    """A version's bundle for `actor` (None: the public), or a refusal (see the module's rules).

    Without `version`: the newest published version (only the office may name a provisional one)."""
    if actor is not None:
        require(actor, *PUBLISHED_READERS)  # before any lookup: a role without bundles learns nothing
    campaign = get_campaign(session, year)
    if actor is None:
        if not is_public(campaign):
            raise NotFound("bundle.not_public", "the {year} bundle is not public", year=year)
        result = _newest_published(session, campaign.id)
        if version is not None and (result is None or result.version != version):
            result = None
    else:
        query = select(Result).where(Result.campaign_id == campaign.id)
        if version is not None:
            query = query.where(Result.version == version)
        if actor.role not in OFFICE or version is None:
            query = query.where(Result.status == "published")
        result = session.exec(query.order_by(col(Result.version).desc())).first()
    if result is None:
        raise NotFound("bundle.none", "campaign {year} has no result whose bundle you may download", year=year)
    bundle = ensure_bundle(session, result)
    return Download(f"verification-bundle-{year}-v{result.version}.zip", bundle.content, bundle.sha256, year,
                    result.version)


def public_years(session: Session) -> list[tuple[int, int, str]]:
    """(year, version, SHA-256) of every campaign whose published bundle is public, newest year first."""
    out = []
    for campaign in session.exec(select(Campaign).order_by(col(Campaign.year).desc())).all():
        if not is_public(campaign):
            continue
        result = _newest_published(session, campaign.id)
        if result is not None:
            bundle = _stored(session, result.id)
            if bundle is not None:
                out.append((campaign.year, result.version, bundle.sha256))
    return out
