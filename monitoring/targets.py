"""Which webhook URLs the registry will call: https (unless allowed), no credentials, public addresses.

Checked when an endpoint is registered and again before every attempt (DNS may change in
between), so an enrollee cannot point the delivery worker at the registry's own network (SSRF).
Production deployments should also send webhooks through an egress proxy that filters addresses.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import urllib.parse

from registry.config import MonitoringConfig


class TargetRefused(ValueError):
    """The URL may not be called; the message says why."""


def check_url_form(url: str, config: MonitoringConfig) -> urllib.parse.SplitResult:
    url = url.strip()
    if not 8 <= len(url) <= 2000:
        raise TargetRefused("a webhook URL is 8 to 2000 characters")
    parts = urllib.parse.urlsplit(url)
    allowed = ("https", "http") if config.allow_http else ("https",)
    if parts.scheme not in allowed:
        raise TargetRefused("a webhook URL must use https (the operator may allow http, e.g. for local testing, "
                            "with REGISTRY_WEBHOOK_ALLOW_HTTP=1)" if not config.allow_http
                            else "a webhook URL must use http or https")
    if not parts.hostname:
        raise TargetRefused("the webhook URL has no host")
    if parts.username or parts.password:
        raise TargetRefused("put no credentials in a webhook URL; verify our signature instead")
    if parts.fragment:
        raise TargetRefused("a webhook URL has no #fragment")
    try:
        _ = parts.port
    except ValueError:
        raise TargetRefused("the webhook URL's port is not a number from 0 to 65535") from None
    return parts


def _forbidden_address(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return (ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_multicast or ip.is_reserved
            or ip.is_unspecified or not ip.is_global)


async def check_target(url: str, config: MonitoringConfig) -> None:
    """Refuse URLs of the wrong form, and hosts that resolve to a non-public address."""
    parts = check_url_form(url, config)
    if config.allow_private_targets:
        return
    host = parts.hostname
    assert host is not None
    try:
        addresses = [ipaddress.ip_address(host)]
    except ValueError:
        loop = asyncio.get_running_loop()
        try:
            infos = await loop.getaddrinfo(host, parts.port or 443, type=socket.SOCK_STREAM)
        except OSError:
            raise TargetRefused(f"the host {host} does not resolve") from None
        addresses = [ipaddress.ip_address(info[4][0]) for info in infos]
    if not addresses or any(_forbidden_address(ip) for ip in addresses):
        raise TargetRefused(f"the host {host} is not a public internet address (the operator may allow loopback "
                            "and private addresses, e.g. for local testing, with REGISTRY_WEBHOOK_ALLOW_PRIVATE=1)")
