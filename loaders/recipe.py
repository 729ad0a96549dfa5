"""Recipes: YAML that maps the columns of a spreadsheet register to entities, properties and relations.

A recipe names, for each row, the entities to make (kind, id and name as
templates over columns, ``{Column}``), their properties (a column, a type, a
scale, a value map, the raw text to keep when a value does not map), and the
relations between them. Headers are matched by their start, whitespace
folded, case ignored, so that long explanatory headers match a short name.
"""

from __future__ import annotations

import datetime as dt
import re
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from valuegraph.graph.errors import UNKNOWN_RECIPE, DocumentRejected, InvalidRequest, SyncError
from valuegraph.schema import values

_TEMPLATE = re.compile(r"\{([^{}]+)\}")
_SPACES = re.compile(r"\s+")


class ColumnRule(BaseModel):
    model_config = ConfigDict(extra="forbid")

    column: str | None = None
    value: Any = None  # a constant instead of a column
    type: Literal["text", "number", "date", "boolean"] = "text"
    scale: float = 1
    decimal: Literal[".", ","] = "."
    date_format: str | None = Field(None, description="strptime format; ISO-8601 and DD/MM/YYYY are tried otherwise")
    map: dict[str, Any] | None = None
    raw_as: str | None = Field(None, description="property that keeps the raw text when the value is missing or does not map")
    optional: bool = Field(False, description="the column may be absent from the file")
    required: bool = Field(False, description="every row must give a usable value")


class EntityRule(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    kind: str
    id: str
    name: str
    requires: str | None = Field(None, description="make the entity only where this column holds a value")
    properties: dict[str, ColumnRule] = {}
    external_ids: dict[str, str | ColumnRule] = Field(
        {}, alias="externalIds", description="the entity's ids in other systems: a system's name and the column "
                                             "holding its id (or a column rule), as in {gmpp: 'Project ID'}")

    def external_id_rules(self) -> dict[str, ColumnRule]:
        """Each system's rule; a column named alone is read as text and may be absent from a row."""
        return {system: ColumnRule(column=rule) if isinstance(rule, str) else rule
                for system, rule in self.external_ids.items()}


class RelationRule(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    from_: str = Field(alias="from")
    type: str
    to: str
    split: str | None = Field(None, description="a cell listing several ids, separated by this")
    external: bool = Field(False, description="the ends may be entities this recipe does not make")
    properties: dict[str, ColumnRule] = {}


class Recipe(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    description: str = ""
    encoding: str = "utf-8-sig"
    delimiter: str | None = Field(None, description="guessed from the file when absent")
    sheet: str | None = Field(None, description="the worksheet of an XLSX workbook (default: the first)")
    missing: list[str] = ["", "NA", "N/A"]
    missing_prefixes: list[str] = []
    entities: list[EntityRule]
    relations: list[RelationRule] = []


def builtin_recipes() -> list[str]:
    return sorted(p.name[:-5] for p in resources.files("valuegraph.loaders.recipes").iterdir() if p.name.endswith(".yaml"))


#: a recipe's name as a request gives it: a file name without its ending, never a path
RECIPE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")


def folder_recipes(folder: Path | None) -> list[str]:
    """The names of the recipes in a recipe folder (``NAME.yaml`` or ``NAME.yml``)."""
    if folder is None or not folder.is_dir():
        return []
    return sorted(p.stem for p in folder.iterdir() if p.suffix in (".yaml", ".yml") and RECIPE_NAME.fullmatch(p.stem))


def recipe_file(name: str, folder: Path | None) -> Path:
    """The file of the recipe called ``name``: the configured ``folder``'s ``NAME.yaml`` (or ``.yml``) when it
    has one, so that a deployment may adapt a built-in recipe, else the built-in recipe's. InvalidRequest for
    a name that is not a plain name (a request never names a path: only recipes put in the folder are read)
    or that names no recipe."""
    if not RECIPE_NAME.fullmatch(name):
        shown = repr(name) if len(name) <= 60 else f"{name[:60]!r}…"
        raise InvalidRequest(f"the recipe {shown} is not a recipe's name: a name is letters, digits, '-' and "
                             f"'_' (at most 64), never a path")
    if folder is not None:
        for ending in (".yaml", ".yml"):
            candidate = folder / f"{name}{ending}"
            if candidate.is_file():
                return candidate
    if name in builtin_recipes():
        return Path(str(resources.files("valuegraph.loaders.recipes").joinpath(f"{name}.yaml")))
    known = sorted({*builtin_recipes(), *folder_recipes(folder)})
    raise InvalidRequest(f"no recipe '{name}'; the recipes are {', '.join(known)}")


def load_recipe(name_or_path: str) -> Recipe:
    """A built-in recipe by name, or a recipe file by path."""
    text, origin = recipe_text(name_or_path)
    return parse_yaml_model(text, Recipe, origin)


def recipe_text(name_or_path: str) -> tuple[str, str]:
    """(YAML text, origin for messages) of a built-in recipe by name, or of a recipe file by path."""
    path = Path(name_or_path)
    if path.suffix in (".yaml", ".yml") or path.exists():
        origin = str(path)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise DocumentRejected([SyncError(origin, f"cannot read the recipe: {exc.strerror or exc}")]) from exc
    else:
        if name_or_path not in builtin_recipes():
            raise DocumentRejected([SyncError(
                "recipe", f"no built-in recipe '{name_or_path}'; the built-in recipes are "
                          f"{', '.join(builtin_recipes())} (or give a recipe file's path)", UNKNOWN_RECIPE)])
        origin = f"recipe {name_or_path}"
        text = resources.files("valuegraph.loaders.recipes").joinpath(f"{name_or_path}.yaml").read_text(encoding="utf-8")
    return text, origin


def parse_yaml_model(text: str, model: type[BaseModel], origin: str):
    """A pydantic model from YAML text, or DocumentRejected locating every problem."""
    try:
        return model.model_validate(yaml.safe_load(text) or {})
    except yaml.YAMLError as exc:
        raise DocumentRejected([SyncError(origin, f"malformed YAML: {exc}")]) from exc
    except ValidationError as exc:
        raise DocumentRejected([
            SyncError(f"{origin}: {'.'.join(map(str, e['loc']))}", e["msg"]) for e in exc.errors()
        ]) from exc


def fold(header: str) -> str:
    return _SPACES.sub(" ", header).strip().lower()


class Columns:
    """The file's header, and the recipe's column names resolved against it."""

    def __init__(self, header: list[str], origin: str) -> None:
        self.header = header
        self.origin = origin
        self._folded = [fold(h) for h in header]

    def find(self, name: str) -> int | None | list[str]:
        """The index of the column ``name`` names; None if none does; the candidates if several do."""
        wanted = fold(name)
        exact = [i for i, h in enumerate(self._folded) if h == wanted]
        if exact:
            return exact[0]
        starts = [i for i, h in enumerate(self._folded) if h.startswith(wanted)]
        if len(starts) == 1:
            return starts[0]
        return [self.header[i] for i in starts] if starts else None


def template_columns(template: str) -> list[str]:
    return _TEMPLATE.findall(template)


def render(template: str, values: dict[str, str | None]) -> str | None:
    """The template with its columns filled in; None when one of them is missing."""
    missing = False

    def fill(match: re.Match) -> str:
        nonlocal missing
        value = values.get(match.group(1))
        if value is None:
            missing = True
            return ""
        return value

    text = _TEMPLATE.sub(fill, template)
    return None if missing else text


def parse_number(text: str, decimal: str) -> int | float:
    """A number as spreadsheets write it: currency signs, spaces and % left out, thousands separators,
    ``decimal`` as the decimal mark, accounting negatives in brackets."""
    cleaned = re.sub(r"[£$€¥\s\u00a0\u202f%]", "", text)
    if decimal == ",":
        cleaned = cleaned.replace(".", "").replace(",", ".")
    else:
        cleaned = cleaned.replace(",", "")
    if cleaned.startswith("(") and cleaned.endswith(")"):  # accounting negatives
        cleaned = "-" + cleaned[1:-1]
    return values.parse_number(cleaned)


#: day-first forms tried after ISO-8601 (registers are kept in day-first locales); %Y-%m-%d also reads 2026-3-1
_DATE_FORMATS = ("%d/%m/%Y", "%d-%m-%Y", "%d %b %Y", "%d %B %Y", "%Y-%m-%d")


def parse_date(text: str, fmt: str | None) -> dt.date:
    """A date in the recipe's ``fmt`` (strptime), else in ISO-8601 (a date and time gives its date) or
    one of the common day-first forms."""
    text = text.strip()
    if fmt:
        return dt.datetime.strptime(text, fmt).date()
    try:
        value = values.parse_date(text)
    except ValueError:
        pass
    else:
        return value.date() if isinstance(value, dt.datetime) else value
    for candidate in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, candidate).date()
        except ValueError:
            continue
    raise ValueError(text)
