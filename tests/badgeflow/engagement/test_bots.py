"""People, bots and the issuer's own checks."""

from __future__ import annotations

import pytest

from badgeflow.engagement.bots import AgentClassifier, Exclusions

CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)


@pytest.mark.parametrize(
    ("agent", "expected"),
    [
        (CHROME, ("person", "")),
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 "
            "(KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
            ("person", ""),
        ),
        (
            "LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)",
            ("bot", "LinkedInBot"),
        ),
        ("Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)", ("bot", "Slackbot")),
        ("Slack-ImgProxy (+https://api.slack.com/robots)", ("bot", "Slackbot")),
        ("Twitterbot/1.0", ("bot", "Twitterbot")),
        (
            "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
            ("bot", "facebookexternalhit"),
        ),
        ("WhatsApp/2.23.20.0", ("bot", "WhatsApp")),
        ("TelegramBot (like TwitterBot)", ("bot", "TelegramBot")),
        (
            "Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)",
            ("bot", "Discordbot"),
        ),
        (
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_5) AppleWebKit/605.1.15 (KHTML, like "
            "Gecko) Version/13.1.1 Safari/605.1.15 (Applebot/0.1; +http://www.apple.com/go/applebot)",
            ("bot", "Applebot"),
        ),
        (
            "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
            ("bot", "Googlebot"),
        ),
        (
            "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
            ("bot", "bingbot"),
        ),
        ("Mozilla/5.0 (compatible; YandexBot/3.0; +http://yandex.com/bots)", ("bot", "YandexBot")),
        ("DuckDuckBot/1.1; (+http://duckduckgo.com/duckduckbot.html)", ("bot", "DuckDuckBot")),
        (
            "Mozilla/5.0 (compatible; Baiduspider/2.0; +http://www.baidu.com/search/spider.html)",
            ("bot", "Baiduspider"),
        ),
        (
            "Mozilla/5.0+(compatible; UptimeRobot/2.0; http://www.uptimerobot.com/)",
            ("bot", "UptimeRobot"),
        ),
        ("Pingdom.com_bot_version_1.4_(http://www.pingdom.com/)", ("bot", "Pingdom")),
        ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) StatusCake", ("bot", "StatusCake")),
        ("Better Uptime Bot Mozilla/5.0", ("bot", "Better Uptime")),
        # Not in the explicit table: the crawler-user-agents list names them.
        (
            "Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)",
            ("bot", "AhrefsBot"),
        ),
        ("curl/8.5.0", ("bot", "curl")),
        ("python-requests/2.32.3", ("bot", "python-requests")),
        ("Wget/1.21.4", ("bot", "Wget")),
        ("", ("bot", "unknown")),
        ("-", ("bot", "unknown")),
        ("   ", ("bot", "unknown")),
    ],
)
def test_agents(agent, expected):
    assert AgentClassifier().classify(agent) == expected


def test_extra_bot_agents_come_last_and_are_case_insensitive():
    classifier = AgentClassifier(["Acme-Archiver"])
    assert classifier.classify("acme-archiver/2.0 (+https://acme.example)") == (
        "bot",
        "Acme-Archiver",
    )
    assert AgentClassifier().classify("acme-archiver/2.0 (+https://acme.example)") == ("person", "")


@pytest.mark.parametrize(
    ("address", "agent", "excluded"),
    [
        ("10.1.2.3", CHROME, True),
        ("10.255.255.255", CHROME, True),
        ("11.0.0.1", CHROME, False),
        ("192.0.2.17", CHROME, True),
        ("192.0.2.32", CHROME, False),
        ("2001:db8:ffff::1", CHROME, True),
        ("2001:db8:fffe::1", CHROME, False),
        ("::ffff:10.0.0.1", CHROME, True),  # IPv4-mapped, as dual-stack servers log it
        ("[2001:db8:ffff::2]", CHROME, True),
        ("not-an-address", CHROME, False),
        ("198.51.100.1", "Badgeflow-Uptime/1.0", True),
        ("198.51.100.1", "Mozilla/5.0 (internal-smoke-test)", True),
        ("198.51.100.1", CHROME, False),
    ],
)
def test_exclusions_by_network_v4_v6_and_agent(address, agent, excluded):
    exclusions = Exclusions(
        ["10.0.0.0/8", "192.0.2.16/28", "2001:db8:ffff::/48"],
        ["badgeflow-uptime", "INTERNAL-SMOKE"],
    )
    assert exclusions.excluded(address, agent) is excluded
    assert exclusions.excluded(address, agent) is excluded  # cached answer, same


def test_no_exclusions_configured():
    assert not Exclusions().excluded("10.0.0.1", "badgeflow-uptime")
