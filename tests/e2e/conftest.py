"""Fixtures for the end-to-end tests: a real SMTP server and the product's processes."""

import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from tests.e2e.support import Inbox, Product, free_port


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    """A real SMTP server on loopback."""
    inbox, port = Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    controller.stop()


@pytest.fixture
def product_factory(
    tmp_path: Path, smtp: tuple[Inbox, int]
) -> Iterator[Callable[[str | None], Product]]:
    """Makes a Product (stopped at the end of the test, and its log shown on failure)."""
    made: list[Product] = []

    def make(prefect_api_url: str | None = None, database_url: str | None = None) -> Product:
        product = Product(tmp_path / "data", smtp[1], prefect_api_url, database_url)
        made.append(product)
        return product

    yield make
    for product in made:
        product.stop()
        if product.log.exists():
            sys.stdout.write(product.log.read_text(errors="replace")[-4000:])
