"""The six emotion labels, in dair-ai/emotion order. The one definition used everywhere."""

EMOTIONS: tuple[str, ...] = ("sadness", "joy", "love", "anger", "fear", "surprise")
LABEL_TO_ID: dict[str, int] = {name: i for i, name in enumerate(EMOTIONS)}


def label_id(name: str) -> int:
    """Return the id of a label name, with a clear error for unknown names."""
    try:
        return LABEL_TO_ID[name.strip().lower()]
    except KeyError:
        raise ValueError(f"unknown emotion {name!r}; expected one of {', '.join(EMOTIONS)}") from None
