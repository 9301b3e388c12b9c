"""Benchmark `/author profile` with cached metrics: many concurrent calls through the real bot.

    .venv/bin/python benchmarks/bench_interactions.py            # 200 concurrent calls
    .venv/bin/python benchmarks/bench_interactions.py --smoke    # 20 calls, quick (CI)

The project's real `PaperScoutBot` runs in gateway mode against the fake Discord
(tests/harness), on a migrated SQLite file seeded with authors whose metrics are cached (fetched
"now") and who have tracked papers; every source points at the fake upstream on loopback, which
the profile path must not need (the script fails if it is called). One warm-up call per author
renders each chart once (charts are cached per author and data version). Then `--calls`
interactions are sent at once, at most `--concurrency` in flight.

It prints, measured inside the bot: from the moment discord.py dispatches the interaction
(`on_interaction`) to the moment the final followup (card + chart) was accepted by Discord;
p50 / p99 / max, throughput, errors, and how many charts were rendered. Budget (PRODUCT.md
section 9): p99 < 50 ms, 0 errors. Counts and time are bounded (`--timeout`).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import discord

from bot.services.author_fetch import match_keys
from db.repositories.authors import AuthorRepository
from db.repositories.papers import PaperAuthorRecord, PaperRecord, PaperRepository
from tests.harness.bot_harness import BotHarness
from tests.harness.fake_discord import FakeDiscord
from tests.harness.fake_upstream import FakeUpstream, realistic_names

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
BUDGET_P99_MS = 50.0
WORDS = (
    "vision transformer scaling language model retrieval graph diffusion sparse robust "
    "benchmark alignment contrastive segmentation detection reasoning quantum optimisation"
).split()


class Clock:
    def now(self) -> datetime:
        return NOW

    def monotonic(self) -> float:
        return time.monotonic()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


async def seed(h: BotHarness, names: list[str], papers_each: int) -> None:
    """Authors with cached metrics and `papers_each` tracked papers each (built in code)."""
    async with h.bot.database.transaction() as session:
        authors = AuthorRepository(session)
        papers = PaperRepository(session)
        for index, name in enumerate(names):
            author = await authors.upsert(
                display_name=name,
                now=NOW,
                openalex_id=f"A59{index:08d}",
                name_variants=[name],
                affiliations=["Institute of Benchmarks"],
            )
            await authors.set_name_keys(author.id, match_keys([name]))
            await authors.update_metrics(
                author.id,
                h_index=10 + index,
                citations=1000 * (index + 1),
                works_count=50 + index,
                counts_by_year=[
                    {"year": y, "works_count": 3, "cited_by_count": 100 + 10 * (y - 2015)}
                    for y in range(2015, 2026)
                ],
                source="openalex",
                as_of=NOW,
            )
            records = [
                PaperRecord(
                    arxiv_id=f"25{index:02d}.{p:05d}",
                    title=" ".join(WORDS[(p + k) % len(WORDS)] for k in range(6)).title(),
                    published=NOW - timedelta(days=20 * p + index),
                    updated=NOW - timedelta(days=20 * p + index),
                    primary_category="cs.CV" if p % 3 else "cs.LG",
                    abstract=" ".join(WORDS[(p * 7 + k) % len(WORDS)] for k in range(60)),
                    categories=("cs.CV",),
                    authors=(
                        PaperAuthorRecord(name, ("Institute of Benchmarks",)),
                        PaperAuthorRecord("Co Author"),
                        PaperAuthorRecord("Another Person"),
                        PaperAuthorRecord("Fourth Person"),
                    ),
                )
                for p in range(papers_each)
            ]
            result = await papers.upsert_many(records, now=NOW)
            await papers.link_authors(
                [(author.id, pid, "name") for pid in result.ids.values()], now=NOW
            )


async def run(args: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.WARNING)
    names = realistic_names(args.authors, seed=11)
    with tempfile.TemporaryDirectory(prefix="ps-bench-") as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
        async with FakeUpstream() as upstream, FakeDiscord() as fake:
            settings: dict[str, Any] = {
                "arxiv_api_url": upstream.arxiv_api_url,
                "arxiv_rss_url": upstream.arxiv_rss_url,
                "openalex_api_url": upstream.openalex_url,
                "semantic_scholar_api_url": upstream.semantic_scholar_url,
                "arxiv_min_interval_seconds": 0.0,
            }
            harness = BotHarness(
                fake,
                database_url=url,
                mode="gateway",
                clock=Clock(),
                settings=settings,
                timeout=args.timeout,
            )
            async with harness as h:
                await seed(h, names, args.papers)
                cog = h.bot.get_cog("Authors")
                assert cog is not None
                started: dict[int, float] = {}
                latencies: list[float] = []

                async def on_interaction(interaction: discord.Interaction) -> None:
                    started[interaction.id] = time.perf_counter()

                # `track` runs last on both paths (answered at once, or deferred + followup),
                # right after Discord accepted the message carrying the card and the chart.
                original = cog.track  # type: ignore[attr-defined]

                def timed_track(
                    view: Any, interaction: discord.Interaction, message_id: int
                ) -> None:
                    original(view, interaction, message_id)
                    begun = started.pop(interaction.id, None)
                    if begun is not None and measuring:
                        latencies.append((time.perf_counter() - begun) * 1000)

                h.bot.add_listener(on_interaction, "on_interaction")
                cog.track = timed_track  # type: ignore[attr-defined]

                measuring = False
                for name in names:  # warm-up: one render per chart, caches filled
                    await h.slash("author profile", name=name)
                renders_after_warmup = cog.charts.renders  # type: ignore[attr-defined]
                upstream_before = len(upstream.requests)

                measuring = True
                gate = asyncio.Semaphore(args.concurrency)
                errors: list[str] = []

                async def one(i: int) -> None:
                    async with gate:
                        try:
                            ex = await h.slash("author profile", name=names[i % len(names)])
                            message = ex.original_message
                            if not message.get("embeds") or not message.get("attachments"):
                                errors.append(f"call {i}: no card or no chart")
                        except Exception as error:  # a benchmark counts failures, it does not stop
                            errors.append(f"call {i}: {error!r}"[:200])

                wall = time.perf_counter()
                await asyncio.wait_for(
                    asyncio.gather(*(one(i) for i in range(args.calls))), args.timeout
                )
                wall = time.perf_counter() - wall

        upstream_calls = len(upstream.requests) - upstream_before
        p50 = statistics.median(latencies) if latencies else float("nan")
        p99 = percentile(latencies, 99) if latencies else float("nan")
        print(
            f"/author profile, cached metrics: {args.calls} calls, {args.concurrency} in flight, "
            f"{len(names)} authors x {args.papers} papers (gateway mode, SQLite, loopback)"
        )
        print(
            f"  inside the bot (dispatch -> card and chart accepted): p50 {p50:.1f} ms, "
            f"p99 {p99:.1f} ms, max {max(latencies, default=float('nan')):.1f} ms "
            f"(budget p99 < {BUDGET_P99_MS:.0f} ms)"
        )
        print(
            f"  throughput {args.calls / wall:,.0f}/s over {wall * 1000:.0f} ms; "
            f"errors {len(errors)}; measured {len(latencies)}; "
            f"chart renders {renders_after_warmup} (warm-up) + "
            f"{cog.charts.renders - renders_after_warmup} (run); upstream calls {upstream_calls}"  # type: ignore[attr-defined]
        )
        for error in errors[:5]:
            print("  error:", error)
        ok = not errors and len(latencies) == args.calls and upstream_calls == 0
        if args.smoke:
            return 0 if ok else 1
        return 0 if ok and p99 < BUDGET_P99_MS else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=200)
    parser.add_argument("--authors", type=int, default=20)
    parser.add_argument("--papers", type=int, default=40)
    parser.add_argument("--timeout", type=float, default=60.0)
    parser.add_argument("--smoke", action="store_true", help="20 calls, 5 authors: quick")
    args = parser.parse_args()
    if args.smoke:
        args.calls, args.concurrency, args.authors, args.papers = 20, 20, 5, 10
    return asyncio.run(run(args))


if __name__ == "__main__":
    sys.exit(main())
