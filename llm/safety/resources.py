"""Where to get help: the crisis resources shown with a flagged entry, per locale (``resources.yaml`` beside this
module; ``default`` for any locale not listed)."""

from functools import lru_cache
from pathlib import Path

import yaml
from pydantic import BaseModel

RESOURCES_FILE = Path(__file__).with_name("resources.yaml")


class CrisisResource(BaseModel):
    """A place to get help right now."""

    name: str
    contact: str
    url: str | None = None
    description: str


@lru_cache(maxsize=1)
def _load_resources(path: Path = RESOURCES_FILE) -> dict[str, list[CrisisResource]]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict) or "default" not in data:
        raise ValueError(f"{path}: expected a mapping of locales with a 'default' entry")
    return {locale.lower(): [CrisisResource.model_validate(row) for row in rows] for locale, rows in data.items()}


def resolve_locale(locale: str) -> str:
    """Map 'en-GB', 'en_us', 'GB', 'uk' ... to a configured locale key; anything unknown is 'default'."""
    resources = _load_resources()
    key = locale.strip().lower().replace("_", "-")
    candidates = [key, key.rsplit("-", 1)[-1]]
    aliases = {"gb": "uk", "usa": "us"}
    for written in candidates:
        candidate = aliases.get(written, written)
        if candidate in resources:
            return candidate
    return "default"


def crisis_resources(locale: str = "default") -> list[CrisisResource]:
    """The crisis resources for a locale (the international default when the locale is not configured)."""
    return list(_load_resources()[resolve_locale(locale)])
