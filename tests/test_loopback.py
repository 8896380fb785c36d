import pytest

from bulk_o2c.loopback import is_allowed_endpoint, is_loopback_host


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1", "127.8.9.10", "::1", "[::1]"])
def test_loopback_names_and_addresses(host: str) -> None:
    assert is_loopback_host(host)


@pytest.mark.parametrize(
    "host",
    ["0.0.0.0", "192.168.1.10", "::", "[2001:db8::1]", "example.com", "localhost.example.com", ""],  # noqa: S104
)
def test_everything_else_is_not_loopback(host: str) -> None:
    assert not is_loopback_host(host)


@pytest.mark.parametrize(
    "url",
    ["https://acme.my.salesforce.com", "https://10.0.0.1:8443/x", "http://127.0.0.1:8080/x", "http://[::1]/"],
)
def test_https_anywhere_and_http_to_loopback_are_allowed(url: str) -> None:
    assert is_allowed_endpoint(url)


@pytest.mark.parametrize(
    "url",
    ["http://acme.my.salesforce.com", "http://10.0.0.1/x", "ftp://127.0.0.1/", "http:///path", "/relative"],
)
def test_other_endpoints_are_refused(url: str) -> None:
    assert not is_allowed_endpoint(url)
