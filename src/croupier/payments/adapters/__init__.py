"""Payment provider adapters, looked up by the key in the URL (``/webhooks/{provider}``)."""

from __future__ import annotations

from croupier.config import Settings
from croupier.payments.adapters.base import PaymentProvider
from croupier.payments.adapters.demo import DemoProvider
from croupier.payments.errors import ProviderNotFoundError

_FACTORIES = {DemoProvider.key: DemoProvider.from_settings}


def get_provider(key: str, settings: Settings) -> PaymentProvider:
    factory = _FACTORIES.get(key)
    if factory is None:
        raise ProviderNotFoundError(provider=key[:50])
    return factory(settings)


def provider_keys() -> list[str]:
    return sorted(_FACTORIES)
