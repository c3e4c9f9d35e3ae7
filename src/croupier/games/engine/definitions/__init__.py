"""The builtin game catalogue, keyed by slug (the gameKey clients use)."""

from croupier.games.engine.definitions.dragon_vault import DRAGON_VAULT
from croupier.games.engine.definitions.neon_fruits import NEON_FRUITS
from croupier.games.engine.definitions.pharaoh_gold import PHARAOH_GOLD
from croupier.games.engine.errors import GameNotFoundError
from croupier.games.engine.model import GameDefinition

_CATALOGUE: dict[str, GameDefinition] = {
    game.slug: game for game in (NEON_FRUITS, PHARAOH_GOLD, DRAGON_VAULT)
}


def get_game_definition(slug: str) -> GameDefinition:
    """The definition for a slug; unknown slugs raise ``GameNotFoundError`` (HTTP 404)."""
    try:
        return _CATALOGUE[slug]
    except KeyError:
        raise GameNotFoundError(slug=slug) from None


def list_game_definitions() -> tuple[GameDefinition, ...]:
    """Every builtin game, lowest volatility first."""
    return tuple(_CATALOGUE.values())
