"""The buttons under an alert (rendering only)."""

from __future__ import annotations

import dataclasses

from bot.render.alerts import alert_buttons, read_link
from bot.render.digests import card_size
from bot.services.cards import AlertFor
from bot.services.digest_content import CardBook, DigestEntry
from tests.unit.test_digest_compact import AUTHORS, paper


def test_an_alert_links_only_to_web_addresses_discord_accepts() -> None:
    """A source's odd landing page (not http, or too long) would make Discord refuse the whole
    alert: the Open button is left out instead; the Mute and Unfollow buttons stay."""
    book = CardBook(card_size)
    book.add([paper(1, "Ada Lovelace")], AUTHORS)
    card = book.card(DigestEntry(1, (100,)))
    assert read_link(card) == ("PDF", "https://arxiv.org/pdf/2611.00001")
    journal = dataclasses.replace(card, arxiv_id=None, url="ftp://example.org/paper")
    assert read_link(journal) is None
    assert read_link(dataclasses.replace(journal, url="https://doi.org/" + "x" * 600)) is None
    labels = [
        b.label for b in alert_buttons(journal, AlertFor(((100, "Ada"),), True), None).children
    ]
    assert labels == ["Mute this author", "Unfollow"]
