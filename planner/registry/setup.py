"""Opening the registry from settings: the area set, vocabularies and boundaries it checks
records against, and the database it stores them in."""

from __future__ import annotations

from planner.areas import load_area_set
from planner.registry.service import Registry
from planner.registry.validation import ValidationContext
from planner.settings import Settings, load_settings
from planner.sources.boundaries import area_locator, load_area_boundaries
from planner.vocab import load_vocabularies


def validation_context(settings: Settings | None = None) -> ValidationContext:
    """The vocabularies, the area set and its boundaries (for placing sites), kept in the
    process while those files are unchanged."""
    from planner.memo import remembered

    settings = settings or load_settings()
    files = [settings.vocabularies_file, settings.area_set_file, settings.data_dir / "boundaries"]
    return remembered("validation", files, None, lambda: _validation_context(settings))


def _validation_context(settings: Settings) -> ValidationContext:
    area_set = load_area_set(settings.area_set_file)
    areas = load_area_boundaries(settings.data_dir, area_set)
    return ValidationContext(
        load_vocabularies(settings.vocabularies_file), area_set, area_locator(areas)
    )


def open_registry(settings: Settings | None = None, *, url: str | None = None) -> Registry:
    """Connect to ``settings.database_url`` (DATABASE_URL, else the SQLite file in the user
    folder), migrating the schema to the newest."""
    settings = settings or load_settings()
    return Registry.open(validation_context(settings), url or settings.database_url)
