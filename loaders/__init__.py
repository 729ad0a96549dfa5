"""Input formats: each a loader plugin that turns files into validated exchange documents."""

from valuegraph.loaders.base import Loader, LoaderConfig, registry
from valuegraph.loaders.exchange import parse_json, parse_yaml
from valuegraph.loaders.lookup import loader_for
from valuegraph.loaders.validate import validate_mapping

__all__ = ["Loader", "LoaderConfig", "loader_for", "parse_json", "parse_yaml", "registry", "validate_mapping"]
