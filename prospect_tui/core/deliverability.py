"""Deliverability after the calls: does each address's domain accept mail (DNS MX)?

A verdict per domain, cached in `email_domains`; offline everything is "unknown" and nothing
is ever rejected: this only marks addresses so someone can check them.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Protocol

import dns.exception
import dns.resolver

from prospect_tui.core.clock import iso
from prospect_tui.core.store import Store

DELIVERABLE = "deliverable"
UNDELIVERABLE = "undeliverable"
UNKNOWN = "unknown"
STATUSES = (DELIVERABLE, UNDELIVERABLE, UNKNOWN)

# A domain that always has MX records: when it does not resolve, the network is the
# problem (offline, captive portal answering NXDOMAIN), not the addresses.
CANARY_DOMAIN = "gmail.com"


class Resolver(Protocol):
    def resolve(self, qname: str, rdtype: str, *, lifetime: float | None = None) -> Any: ...


def make_resolver(timeout: float) -> Resolver | None:
    """A caching resolver from the system's configuration; None when there is none."""
    try:
        resolver = dns.resolver.Resolver()
    except dns.resolver.NoResolverConfiguration:
        return None
    resolver.timeout = timeout
    resolver.lifetime = timeout
    resolver.cache = dns.resolver.LRUCache()
    return resolver


def check_domain(domain: str, resolver: Resolver, timeout: float) -> tuple[str, str]:
    """(status, detail) for one domain: MX, else an address (RFC 5321 implicit MX)."""
    try:
        answer = resolver.resolve(domain, "MX", lifetime=timeout)
    except dns.resolver.NXDOMAIN:
        return UNDELIVERABLE, "no such domain"
    except dns.resolver.NoAnswer:
        return _implicit_mx(domain, resolver, timeout)
    except dns.exception.DNSException as error:
        return UNKNOWN, type(error).__name__
    hosts = [str(record.exchange).rstrip(".") for record in answer]
    if not any(hosts):
        return UNDELIVERABLE, "null MX: the domain accepts no mail"
    return DELIVERABLE, f"MX {min(hosts)}"


def _implicit_mx(domain: str, resolver: Resolver, timeout: float) -> tuple[str, str]:
    for rdtype in ("A", "AAAA"):
        try:
            resolver.resolve(domain, rdtype, lifetime=timeout)
        except dns.resolver.NoAnswer:
            continue
        except dns.resolver.NXDOMAIN:
            return UNDELIVERABLE, "no such domain"
        except dns.exception.DNSException as error:
            return UNKNOWN, type(error).__name__
        return DELIVERABLE, f"no MX, mail goes to its {rdtype} address"
    return UNDELIVERABLE, "no MX and no address"


@dataclass
class DeliverabilityReport:
    """Each address with its domain's verdict, and how the verdicts were obtained."""

    addresses: dict[str, str] = field(default_factory=dict)  # email -> status
    details: dict[str, str] = field(default_factory=dict)  # domain -> detail
    checked: int = 0  # domains asked of DNS in this run
    cached: int = 0  # domains answered from the cache
    offline: bool = False

    def counts(self) -> dict[str, int]:
        found = dict.fromkeys(STATUSES, 0)
        for status in self.addresses.values():
            found[status] += 1
        return found

    def as_json(self) -> dict[str, Any]:
        return {
            "counts": self.counts(),
            "domains_checked": self.checked,
            "domains_cached": self.cached,
            "offline": self.offline,
            "addresses": [
                {"email": email, "status": status, "detail": self.details.get(_domain(email), "")}
                for email, status in sorted(self.addresses.items())
            ],
        }

    def summary(self) -> str:
        counts = self.counts()
        lines = [
            f"{counts[DELIVERABLE]} deliverable, {counts[UNDELIVERABLE]} undeliverable,"
            f" {counts[UNKNOWN]} unknown ({self.checked} domains checked,"
            f" {self.cached} from cache)"
            + (" — offline: nothing was checked" if self.offline else "")
        ]
        for email, status in sorted(self.addresses.items()):
            if status == UNDELIVERABLE:
                lines.append(f"  undeliverable: {email} ({self.details.get(_domain(email), '')})")
        return "\n".join(lines)


def _domain(email: str) -> str:
    return email.rpartition("@")[2].lower()


def addresses_to_check(store: Store) -> list[str]:
    """Opt-in addresses still granted, and addresses on leads, never erased ones."""
    rows = store.conn.execute(
        "SELECT e.email FROM consent_events e"
        " JOIN (SELECT lead_id, max(id) AS id FROM consent_events GROUP BY lead_id) last"
        " ON last.id = e.id WHERE e.event = 'granted' AND e.erased_at IS NULL AND e.email != ''"
        " UNION SELECT email FROM leads WHERE email != '' AND erased_at IS NULL"
    )
    return sorted({row[0].lower() for row in rows if "@" in row[0]})


def verify_emails(
    store: Store,
    *,
    timeout: float = 3.0,
    resolver: Resolver | None = None,
    max_age: timedelta = timedelta(days=7),
    canary: str = CANARY_DOMAIN,
    workers: int = 16,
) -> DeliverabilityReport:
    """Check every domain not verified within `max_age` and store the verdicts.

    "unknown" verdicts are stored but never trusted as cache: the next run asks again.
    """
    report = DeliverabilityReport()
    addresses = addresses_to_check(store)
    domains = {_domain(email) for email in addresses}
    fresh_since = iso(store.clock() - max_age)
    verdicts: dict[str, tuple[str, str]] = {}
    for row in store.rows("SELECT * FROM email_domains WHERE status != ?", (UNKNOWN,)):
        if row["domain"] in domains and row["checked_at"] >= fresh_since:
            verdicts[row["domain"]] = (row["status"], row["detail"])
    report.cached = len(verdicts)
    pending = sorted(domains - verdicts.keys())
    if pending:
        asked = resolver or make_resolver(timeout)
        online = asked is not None and check_domain(canary, asked, timeout)[0] == DELIVERABLE
        if asked is None or not online:
            report.offline = True
            fresh = {d: (UNKNOWN, "offline: DNS did not answer") for d in pending}
        else:
            with ThreadPoolExecutor(max_workers=max(1, min(workers, len(pending)))) as pool:
                results = pool.map(lambda d: check_domain(d, asked, timeout), pending)
                fresh = dict(zip(pending, results, strict=True))
        report.checked = len(fresh)
        now = store.now()
        with store.write() as conn:
            conn.executemany(
                "INSERT INTO email_domains (domain, status, detail, checked_at) VALUES (?,?,?,?)"
                " ON CONFLICT(domain) DO UPDATE SET status = excluded.status,"
                " detail = excluded.detail, checked_at = excluded.checked_at",
                [(d, status, detail, now) for d, (status, detail) in fresh.items()],
            )
        verdicts.update(fresh)
    for email in addresses:
        status, detail = verdicts[_domain(email)]
        report.addresses[email] = status
        report.details[_domain(email)] = detail
    return report


def address_status(store: Store, email: str) -> str:
    """The stored verdict for this address's domain ("unknown" before any check)."""
    found = store.scalar("SELECT status FROM email_domains WHERE domain = ?", (_domain(email),))
    return found or UNKNOWN
