"""A test-only cog whose commands exercise the harness's own checks (never loaded in production).

Load it with `extra_extensions=(PROBE_EXTENSION,)`. Each command is the smallest thing that
shows one behaviour: an interaction nobody answers, a `Range` only Discord enforces, an
unexpected exception, a permission check, a defer with a followup, buttons and a select, an
autocomplete, a file upload, a subcommand group.
"""

from __future__ import annotations

import io
import struct
import zlib
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

if TYPE_CHECKING:
    from bot.app import PaperScoutBot

PROBE_EXTENSION = "tests.harness.probe_cog"
FRUITS = ("apple", "apricot", "banana", "blueberry", "cherry")


def tiny_png() -> bytes:
    """A valid 1x1 PNG, built by hand so the probe needs no image library."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)  # 1x1, 8-bit RGB
    pixels = zlib.compress(b"\x00\x1f\x77\xb4")  # filter byte + one blue-ish pixel
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


class AskModal(discord.ui.Modal, title="Tell me"):
    """A one-field form; Discord enforces the length limits, not discord.py."""

    answer: discord.ui.TextInput[AskModal] = discord.ui.TextInput(
        label="Answer", custom_id="probe:answer", min_length=2, max_length=20
    )

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message(f"You said {self.answer.value}", ephemeral=True)


class PressView(discord.ui.View):
    """Buttons (one only the invoker may press, one that fails, one that updates later, one
    that opens a form) and a select anyone may use."""

    def __init__(self, invoker_id: int) -> None:
        super().__init__(timeout=60)
        self.invoker_id = invoker_id

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        # Say no out loud: a silent False would leave the presser with "interaction failed".
        if interaction.data and interaction.data.get("custom_id") == "probe:press":
            if interaction.user.id != self.invoker_id:
                await interaction.response.send_message("That button is not yours.", ephemeral=True)
                return False
        return True

    @discord.ui.button(label="Press", style=discord.ButtonStyle.primary, custom_id="probe:press")
    async def press(
        self, interaction: discord.Interaction, button: discord.ui.Button[PressView]
    ) -> None:
        await interaction.response.edit_message(
            content=f"Pressed by {interaction.user.name}", view=None
        )

    @discord.ui.button(label="Boom", style=discord.ButtonStyle.danger, custom_id="probe:boom")
    async def boom(
        self, interaction: discord.Interaction, button: discord.ui.Button[PressView]
    ) -> None:
        raise RuntimeError("a view callback failed")  # View.on_error only logs it

    @discord.ui.button(label="Later", custom_id="probe:later")
    async def later(
        self, interaction: discord.Interaction, button: discord.ui.Button[PressView]
    ) -> None:
        await interaction.response.defer()  # type 6: "I'll update this message soon"
        await interaction.edit_original_response(content="Updated later")
        shown = await interaction.original_response()
        await interaction.followup.send(f"The message now says: {shown.content}", ephemeral=True)

    @discord.ui.button(label="Ask", custom_id="probe:ask")
    async def ask(
        self, interaction: discord.Interaction, button: discord.ui.Button[PressView]
    ) -> None:
        await interaction.response.send_modal(AskModal())

    @discord.ui.select(
        custom_id="probe:pick",
        placeholder="Pick fruit",
        options=[discord.SelectOption(label=f, value=f) for f in FRUITS],
        max_values=2,
    )
    async def pick(
        self, interaction: discord.Interaction, select: discord.ui.Select[PressView]
    ) -> None:
        await interaction.response.send_message(
            f"You picked {', '.join(select.values)}", ephemeral=True
        )


class Probe(commands.Cog, name="Probe"):
    """Commands that prove the harness catches what it claims to catch."""

    def __init__(self, bot: PaperScoutBot) -> None:
        self.bot = bot

    group = app_commands.Group(name="probe", description="Probe subcommands")

    @group.command(name="post", description="Where would it post?")
    async def post(self, interaction: discord.Interaction, channel: discord.TextChannel) -> None:
        await interaction.response.send_message(f"Posting to {channel.mention} ({channel.name})")

    @app_commands.command(name="forgetful", description="Never answers")
    async def forgetful(self, interaction: discord.Interaction) -> None:
        return None  # the bug under test: no response at all

    @app_commands.command(name="week", description="Echo a number of days")
    @app_commands.describe(days="1 to 7")
    async def week(
        self, interaction: discord.Interaction, days: app_commands.Range[int, 1, 7]
    ) -> None:
        await interaction.response.send_message(f"{days} days")

    @app_commands.command(name="explode", description="Raises an unexpected exception")
    async def explode(self, interaction: discord.Interaction) -> None:
        raise RuntimeError("probe exploded on purpose")

    @app_commands.command(name="admin", description="Needs Manage Server")
    @app_commands.checks.has_permissions(manage_guild=True)
    async def admin(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message("admin ok", ephemeral=True)

    @app_commands.command(name="slow", description="Defers, then answers in a followup")
    async def slow(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(thinking=True)
        await interaction.followup.send("slow answer")
        await interaction.followup.send("and a second message", ephemeral=True)

    @app_commands.command(name="buttons", description="A message with a button and a select")
    async def buttons(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message("Press it", view=PressView(interaction.user.id))

    @app_commands.command(name="fruit", description="Autocompleted fruit")
    async def fruit(self, interaction: discord.Interaction, name: str) -> None:
        await interaction.response.send_message(f"fruit: {name}")

    @fruit.autocomplete("name")
    async def fruit_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return [
            app_commands.Choice(name=f.title(), value=f)
            for f in FRUITS
            if f.startswith(current.lower())
        ]

    @app_commands.command(name="chart", description="Uploads a PNG")
    async def chart(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message(
            "chart", file=discord.File(io.BytesIO(tiny_png()), "chart.png")
        )

    @app_commands.command(name="tidy", description="Replaces its answer with a followup")
    async def tidy(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message("temporary")
        await interaction.delete_original_response()
        kept = await interaction.followup.send("kept", wait=True)
        await kept.edit(content="kept, edited")
        again = await interaction.followup.fetch_message(kept.id)
        await interaction.followup.send(f"fetched: {again.content}", ephemeral=True)

    @app_commands.command(name="dm", description="DMs the invoker")
    async def dm(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True)
        await interaction.user.send("a private hello")
        await interaction.followup.send("sent you a DM", ephemeral=True)

    @group.command(name="echo", description="Echo text")
    @app_commands.describe(text="2 to 10 characters", mode="how to echo")
    @app_commands.choices(
        mode=[
            app_commands.Choice(name="Plain", value="plain"),
            app_commands.Choice(name="Loud", value="loud"),
        ]
    )
    async def echo(
        self,
        interaction: discord.Interaction,
        text: app_commands.Range[str, 2, 10],
        mode: str = "plain",
        who: discord.Member | None = None,
    ) -> None:
        shown = text.upper() if mode == "loud" else text
        suffix = f" to {who.display_name}" if who is not None else ""
        await interaction.response.send_message(f"{shown}{suffix}")


async def setup(bot: PaperScoutBot) -> None:
    await bot.add_cog(Probe(bot))
