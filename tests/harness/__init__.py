"""Shared fakes for the test suite.

* `fake_discord.FakeDiscord`: Discord's REST API and gateway on 127.0.0.1, with state.
* `payloads`: builders for Discord's JSON objects and INTERACTION_CREATE payloads.
* `bot_harness.BotHarness`: the real `PaperScoutBot` logged in against the fake, with
  `slash`, `autocomplete`, `component` and `submit_modal`.
* `fixtures`: the pytest fixtures (`discord_harness`, `harness_factory`, ...).
* `probe_cog`: a test-only cog for the harness's self-tests.

The recipe and the discord.py details behind it: docs/testing.md#the-fake-discord.
"""
