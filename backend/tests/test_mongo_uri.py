"""MongoDB URLs: the library's check agrees with pymongo's own URI parser.

pymongo resolves mongodb+srv URLs through DNS SRV and TXT lookups, so those
cases run against a small DNS server on 127.0.0.1 that the test starts.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import dns.message
import dns.rcode
import dns.rdatatype
import dns.resolver
import dns.rrset
import pytest
from pymongo.errors import ConfigurationError, InvalidURI
from pymongo.uri_parser import parse_uri

from finbrain_secrets import MONGO_SCHEMES, InvalidSecretError, resolve_setting
from finbrain_secrets.validation import find_url_problem

SECRET = "Mg9-distinctive-Secret-W3e"
SRV_HOST = "cluster0.finbrain.test"

# Records the loopback DNS server returns, keyed by (name, record type).
DNS_RECORDS = {
    (f"_mongodb._tcp.{SRV_HOST}.", "SRV"): [
        f"0 0 27017 shard-00.{SRV_HOST}.",
        f"0 0 27017 shard-01.{SRV_HOST}.",
    ],
    (f"{SRV_HOST}.", "TXT"): ['"authSource=admin&replicaSet=atlas-rs0"'],
}

ACCEPTED_URLS = [
    f"mongodb://finbrain:{SECRET}@mongo.internal/finbrain",
    f"mongodb://finbrain:{SECRET}@mongo.internal:27017/finbrain?authSource=admin",
    f"mongodb://finbrain:{SECRET}@mongo-0.internal:27017,mongo-1.internal:27018/finbrain?replicaSet=rs0",
    f"mongodb://finbrain:{SECRET}@[::1]:27017/finbrain",
    "mongodb://mongo.internal",
    "mongodb://finbrain:p%40ss%3Aword%2F@mongo.internal/finbrain",
    f"mongodb://finbrain:{SECRET}@mongo.internal/?tls=true",
    f"mongodb+srv://finbrain:{SECRET}@{SRV_HOST}/finbrain?retryWrites=true&w=majority",
    f"mongodb+srv://finbrain:{SECRET}@{SRV_HOST}",
]

REJECTED_URLS = [
    f"mongodb://finbrain:pa:{SECRET}@mongo.internal/finbrain",
    f"mongodb://finbrain:pa@{SECRET}@mongo.internal/finbrain",
    f"mongodb://finbrain:100%{SECRET}@mongo.internal/finbrain",
    f"mongodb://:{SECRET}@mongo.internal/finbrain",
    f"mongodb://finbrain:pa/{SECRET}@mongo.internal/finbrain",
    f"mongodb://finbrain:{SECRET}@mongo.internal:99999/finbrain",
    f"mongodb://finbrain:{SECRET}@mongo.internal:port/finbrain",
    f"mongodb://finbrain:{SECRET}@",
    "mongodb://",
    f"mongodb://finbrain:{SECRET}@mongo-0.internal,,mongo-1.internal/finbrain",
    f"mongodb://finbrain:{SECRET}@[::1/finbrain",
    f"mongodb+srv://finbrain:{SECRET}@{SRV_HOST}:27017/finbrain",
    f"mongodb+srv://finbrain:{SECRET}@{SRV_HOST},other.finbrain.test/finbrain",
    f"postgresql://finbrain:{SECRET}@mongo.internal/finbrain",
    f"mongo.internal:27017/finbrain",
]


class LoopbackDnsServer:
    """UDP DNS server on 127.0.0.1 that answers from DNS_RECORDS."""

    def __init__(self) -> None:
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.socket.bind(("127.0.0.1", 0))
        self.socket.settimeout(0.2)
        self.port = int(self.socket.getsockname()[1])
        self.questions: list[tuple[str, str]] = []
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stopped.is_set():
            try:
                data, address = self.socket.recvfrom(4096)
            except TimeoutError:
                continue
            query = dns.message.from_wire(data)
            response = dns.message.make_response(query)
            for question in query.question:
                name = question.name.to_text()
                record_type = dns.rdatatype.to_text(question.rdtype)
                self.questions.append((name, record_type))
                texts = DNS_RECORDS.get((name, record_type))
                if texts is None:
                    response.set_rcode(dns.rcode.NXDOMAIN)
                    continue
                response.answer.append(dns.rrset.from_text(name, 60, "IN", record_type, *texts))
            self.socket.sendto(response.to_wire(), address)

    def stop(self) -> None:
        self._stopped.set()
        self._thread.join(timeout=5)
        self.socket.close()


@pytest.fixture(scope="module")
def dns_server() -> Iterator[LoopbackDnsServer]:
    server = LoopbackDnsServer()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def loopback_dns(
    dns_server: LoopbackDnsServer, monkeypatch: pytest.MonkeyPatch
) -> LoopbackDnsServer:
    """Send every dnspython lookup, including pymongo's, to the DNS server on 127.0.0.1."""
    resolver = dns.resolver.Resolver(configure=False)
    resolver.nameservers = ["127.0.0.1"]
    resolver.port = dns_server.port
    resolver.lifetime = 2.0
    monkeypatch.setattr(dns.resolver, "default_resolver", resolver)
    return dns_server


def pymongo_accepts(url: str) -> bool:
    try:
        parse_uri(url)
    except (InvalidURI, ConfigurationError, ValueError):
        return False
    return True


@pytest.mark.parametrize("url", ACCEPTED_URLS)
def test_accepted_url_parses_in_pymongo(loopback_dns: LoopbackDnsServer, url: str) -> None:
    assert find_url_problem(url, MONGO_SCHEMES) is None
    assert pymongo_accepts(url)


@pytest.mark.parametrize("url", REJECTED_URLS)
def test_rejected_url_fails_in_pymongo(loopback_dns: LoopbackDnsServer, url: str) -> None:
    assert find_url_problem(url, MONGO_SCHEMES) is not None
    assert not pymongo_accepts(url)


def test_srv_lookup_uses_loopback_server(loopback_dns: LoopbackDnsServer) -> None:
    parsed = parse_uri(f"mongodb+srv://finbrain:{SECRET}@{SRV_HOST}/finbrain")

    assert (f"_mongodb._tcp.{SRV_HOST}.", "SRV") in loopback_dns.questions
    assert sorted(parsed["nodelist"]) == [
        (f"shard-00.{SRV_HOST}", 27017),
        (f"shard-01.{SRV_HOST}", 27017),
    ]
    assert parsed["options"]["replicaSet"] == "atlas-rs0"


def test_mongo_file_password_round_trips(tmp_path: Path) -> None:
    url = "mongodb://finbrain:p%40ss%3Aword%2F@mongo.internal/finbrain"
    path = tmp_path / "mongo_uri"
    path.write_text(url + "\n")

    resolved = resolve_setting("MONGO_URI", environ={"MONGO_URI": str(path)}, schemes=MONGO_SCHEMES)
    parsed = parse_uri(resolved)

    assert parsed["username"] == "finbrain"
    assert parsed["password"] == "p@ss:word/"
    assert parsed["database"] == "finbrain"


def test_rejected_mongo_message_hides_password(tmp_path: Path) -> None:
    path = tmp_path / "mongo_uri"
    path.write_text(f"mongodb://finbrain:pa:{SECRET}@mongo.internal/finbrain\n")

    with pytest.raises(InvalidSecretError) as raised:
        resolve_setting("MONGO_URI", environ={"MONGO_URI": str(path)}, schemes=MONGO_SCHEMES)

    assert "MONGO_URI" in str(raised.value)
    assert SECRET not in str(raised.value)
