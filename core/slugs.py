"""Unique slugs: the one helper for every model whose address holds a slug."""

from collections.abc import Collection


def unique_slug(
    model, base: str, *, max_length: int = 200, exclude_pk=None, unavailable: Collection = ()
) -> str:
    """``base`` (already a slug), else ``base-2``, ``base-3``…: the first that is free.

    Free means no other row of ``model`` has it as its ``slug`` and it is not
    in ``unavailable`` (reserved words, or slugs taken earlier in the same
    batch). Suffixed candidates are cut so that they stay within ``max_length``.
    """
    others = model._default_manager.all()
    if exclude_pk is not None:
        others = others.exclude(pk=exclude_pk)
    base = base[:max_length].strip("-")
    candidate, number = base, 2
    while candidate in unavailable or others.filter(slug=candidate).exists():
        candidate, number = f"{base[: max_length - 8].strip('-')}-{number}", number + 1
    return candidate
