"""Marketing: campaign launches, which campaign a visit is attributed to, daily ad spend."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from simulator.calendar import day_factor
from simulator.engine.kernel import CURRENCY, Context
from simulator.ids import DAY_MS, EPOCH, money
from simulator.world import CHANNEL_WEIGHTS, CHANNELS, Campaign

if TYPE_CHECKING:
    from simulator.engine.engine import Engine


class Marketing(Context):
    def __init__(self, engine: Engine) -> None:
        super().__init__(engine)
        self._live_campaigns: dict[tuple[str, int], list[Campaign]] = {}

    def launch(self, time_ms: int, campaign: Campaign) -> None:
        start_ms = self.engine.start_ms
        self.emit_shared(
            time_ms,
            "marketing",
            "CampaignLaunched",
            campaign.campaign_id,
            {
                "campaign_id": campaign.campaign_id,
                "name": campaign.name,
                "channel": campaign.channel,
                "utm_campaign": campaign.utm_campaign,
                "start_date": self.engine.date(start_ms + campaign.start_day * DAY_MS),
                "end_date": self.engine.date(start_ms + campaign.end_day * DAY_MS),
                "budget": money(campaign.daily_budget * (campaign.end_day - campaign.start_day)),
                "currency": CURRENCY,
            },
            campaign.campaign_id,
        )

    def campaign_for(self, channel: str, day: int) -> Campaign | None:
        """The campaign a visit from `channel` on `day` came through, if any."""
        live = self._live_campaigns.get((channel, day))
        if live is None:  # once per channel and day: the campaign list is fixed for the run
            live = [
                c
                for c in self.world.campaigns
                if c.channel == channel and c.start_day <= day < c.end_day
            ]
            self._live_campaigns[(channel, day)] = live
        if not live or self.rng.random() > 0.85:
            return None
        return self.rng.choice(live)

    def report_spend(self, time_ms: int, day: int) -> None:
        """Daily ad-platform reports (world facts, so the same in every region): clicks follow
        the campaign's expected share of the day's visits, plus bounces; they never equal site
        sessions exactly, as with a real ad platform."""
        rng = self.engine.wrng
        spend_date = self.engine.date(time_ms)
        config = self.config
        visits = (
            config.customers
            * config.visit_rate
            * day_factor((EPOCH + timedelta(milliseconds=time_ms)).date())
            / (1 - config.anonymous_share)
        )
        live = [c for c in self.world.campaigns if c.start_day <= day < c.end_day]
        for campaign in live:
            share = CHANNEL_WEIGHTS[CHANNELS.index(campaign.channel)] / sum(CHANNEL_WEIGHTS)
            rivals = sum(1 for c in live if c.channel == campaign.channel)
            clicks = self.engine.poisson(visits * share * 0.85 / rivals * 1.4, rng)
            spend = int(campaign.daily_budget * rng.uniform(0.7, 1.1))
            self.emit_shared(
                time_ms,
                "marketing",
                "CampaignSpendReported",
                campaign.campaign_id,
                {
                    "campaign_id": campaign.campaign_id,
                    "channel": campaign.channel,
                    "spend_date": spend_date,
                    "spend": money(spend),
                    "currency": CURRENCY,
                    "impressions": clicks * rng.randint(40, 120) + rng.randint(0, 500),
                    "clicks": clicks,
                },
                campaign.campaign_id,
            )
