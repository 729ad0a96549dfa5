"""Validation of raw documents against the vocabulary.

Parsers hand over plain Python data with a location for every item; this
module checks everything that needs no knowledge of the graph (kinds,
relation types, required fields, known property types, duplicates) and
collects every error before giving up. Checks that need the graph (unknown
ids, kind changes, allowed kinds of related entities, cycles) happen in
``graph.sync`` when the document is written.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from dataclasses import dataclass

from valuegraph.graph import crosswalk
from valuegraph.graph.errors import INVALID_SOURCE_NAME, ErrorList
from valuegraph.graph.model import Document, Entity, Relation, RelationKey, SyncError, Value
from valuegraph.graph.pause import collector_paused
from valuegraph.graph.references import END_FIELD, reference, referenced
from valuegraph.schema import ValueType, vocabulary
from valuegraph.schema.text import label_fault, source_name_fault, value_fault
from valuegraph.schema.values import MAX_EXACT_INTEGER, is_number, parse_date, parse_number

_ENTITY_FIELDS = ("id", "kind", "name")
_RELATION_FIELDS = ("from", "type", "to")
_ENTITY_SKIP, _RELATION_SKIP = frozenset(_ENTITY_FIELDS), frozenset(_RELATION_FIELDS)  # not properties
_TOP_LEVEL = {"source", "entities", "relations"}


@dataclass(slots=True)  # not frozen: one is made per item, and a frozen dataclass is twice as slow to make
class Where:
    """Where an item came from: ``doc.json: entities[3]`` or ``Project.csv:14``."""

    place: str
    csv: bool = False

    def field(self, name: str) -> str:
        return f"{self.place}, column {name}" if self.csv else f"{self.place}.{name}"

    def __str__(self) -> str:
        return self.place


@dataclass(slots=True)
class RawItem:
    data: object
    where: Where
    #: cells of a CSV row are text: known typed properties are parsed from it
    from_text: bool = False


def _reserved() -> set[str]:
    vocab = vocabulary()
    return ({"id", "kind", "sources", "properties", "relations", "_assertions"}
            | {r.local_name for r in vocab.relations.values()})


def _describe(value: object) -> str:
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the text {value!r}" if len(value) < 60 else "a long text"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return f"a {type(value).__name__}"


class _Invalid(ValueError):
    """Why a property value is invalid (its location is added by the caller, only when needed)."""


def check_value(name: str, value: object, from_text: bool) -> Value:
    """A property value as stored; raises _Invalid saying why it cannot be."""
    if isinstance(value, (list, dict, tuple, set)):
        raise _Invalid(f"'{name}' must be a string, number, boolean or date, not {_describe(value)}")
    if isinstance(value, float) and not math.isfinite(value):
        raise _Invalid(f"'{name}' must be a finite number, not {value}")
    if isinstance(value, str) and (fault := value_fault(value)):
        raise _Invalid(f"'{name}' {fault}")
    spec = vocabulary().properties.get(name)
    if spec is None:
        if type(value) is int:
            _check_exact(name, value)
        return value  # custom properties are kept as given
    if spec.type is ValueType.NUMBER:
        if from_text and isinstance(value, str):
            try:
                value = parse_number(value.strip())
            except ValueError:
                raise _Invalid(f"'{name}' must be a number, not {_describe(value)}") from None
        if not is_number(value):  # (non-finite floats were refused above)
            raise _Invalid(f"'{name}' must be a number, not {_describe(value)}")
        _check_exact(name, value)
        if (spec.minimum is not None and value < spec.minimum) or (spec.maximum is not None and value > spec.maximum):
            raise _Invalid(f"'{name}' must be between {spec.minimum:g} and {spec.maximum:g}, not {value}")
        return value
    if spec.type is ValueType.DATE:
        if isinstance(value, (dt.date, dt.datetime)):
            return value
        if isinstance(value, str):
            try:
                return parse_date(value.strip())
            except ValueError:
                pass
        raise _Invalid(f"'{name}' must be an ISO-8601 date such as 2026-03-31, not {_describe(value)}")
    if spec.allowed is not None and value not in spec.allowed:
        raise _Invalid(f"'{name}' must be one of {', '.join(spec.allowed)}, not {_describe(value)}")
    return value


def _check_exact(name: str, value: int | float) -> None:
    """Integers beyond 2^53 are refused: a double (JavaScript's only number, and where a store or client
    reads a JSON number as one) cannot hold them, so they would come back changed."""
    if type(value) is int and abs(value) > MAX_EXACT_INTEGER:
        raise _Invalid(f"'{name}' must be an integer between -2^53 and 2^53 (±{MAX_EXACT_INTEGER}) to be kept exact, "
                       f"not {value}; send it as text if every digit matters")


def _required_text(data: dict, field: str, where: Where, errors: list[SyncError]) -> str | None:
    value = data.get(field)
    if value is None or value == "":
        errors.append(SyncError(where.field(field), f"'{field}' is missing"))
        return None
    if not isinstance(value, str):
        errors.append(SyncError(where.field(field), f"'{field}' must be a string, not {_describe(value)}"))
        return None
    try:
        value.isascii() or value.encode("utf-8")
    except UnicodeEncodeError:
        errors.append(SyncError(where.field(field), f"'{field}' contains characters that are not valid Unicode"))
        return None
    if fault := label_fault(value):
        errors.append(SyncError(where.field(field), f"'{field}' {fault}"))
        return None
    return value


def _properties(data: dict, skip: Iterable[str], item: RawItem, errors: list[SyncError], reserved: set[str],
                entity: bool = True) -> dict:
    props: dict[str, Value | None] = {}
    for key, value in data.items():
        if key in skip:
            continue
        if not isinstance(key, str) or not key:
            errors.append(SyncError(item.where.field(str(key)), "property names must be non-empty strings"))
            continue
        if fault := label_fault(key):
            errors.append(SyncError(item.where.field(repr(key)), f"the property name {key!r} {fault}"))
            continue
        if key in reserved:
            errors.append(SyncError(item.where.field(key), f"'{key}' is a reserved name and cannot be a property"))
            continue
        if key == crosswalk.FIELD or key.startswith(crosswalk.PREFIX):
            if entity:
                _external_ids(key, value, item, props, errors)
            else:
                errors.append(SyncError(item.where.field(key),
                                        f"'{key}': external ids belong to entities, not relations"))
            continue
        if value is None or (item.from_text and value == ""):
            if not item.from_text:
                props[key] = None  # null withdraws this source's value (merge)
            continue
        try:
            props[key] = check_value(key, value, item.from_text)
        except _Invalid as exc:
            errors.append(SyncError(item.where.field(key), str(exc)))
    return props


def _external_ids(key: str, value: object, item: RawItem, props: dict, errors: list[SyncError]) -> None:
    """An entity's external ids, kept as one property per system (graph/crosswalk.py). A document gives the map
    ``externalIds``; a CSV column (and an RDF predicate) gives one system's id as ``externalIds.<system>``. A
    null withdraws the source's ids (merge): all of them for the map, one system's for one entry."""
    if key == crosswalk.FIELD:
        if value is None:
            if not item.from_text:
                props[key] = None
            return
        if not isinstance(value, dict):
            errors.append(SyncError(item.where.field(key), f"'{key}' must be an object of system names and ids, "
                                                           f'as in {{"jira": "PMO-12"}}, not {_describe(value)}'))
            return
        entries = list(value.items())
    else:
        entries = [(key[len(crosswalk.PREFIX):], value)]
    for system, given in entries:
        where = item.where.field(f"{crosswalk.FIELD}.{system}")
        if item.from_text and isinstance(given, str):
            given = given.strip()
        if given is None or (item.from_text and given == ""):
            if fault := crosswalk.fault(system, "-"):
                errors.append(SyncError(where, fault))
            elif not item.from_text:
                props[crosswalk.property_name(system)] = None
            continue
        if fault := crosswalk.fault(system, given):
            errors.append(SyncError(where, fault))
            continue
        name = crosswalk.property_name(system)
        if props.get(name, given) != given:
            errors.append(SyncError(where, f"the {system} id is given twice, as '{props[name]}' and '{given}'"))
            continue
        props[name] = given


def _relation_ends(item: RawItem, errors: list[SyncError]) -> RawItem:
    """The relation with each end given by external id (``{"externalId": {"jira": "PMO-12"}}``) replaced by
    its reference (graph/references.py), resolved once the graph is known; a malformed one is reported, and
    replaced by an id so that it is not reported again as missing."""
    data = item.data
    if not isinstance(data, dict) or not (isinstance(data.get("from"), dict) or isinstance(data.get("to"), dict)):
        return item
    data = dict(data)
    for end in ("from", "to"):
        given = data.get(end)
        if not isinstance(given, dict):
            continue
        where = item.where.field(end)
        example = f'{{"{END_FIELD}": {{"jira": "PMO-12"}}}}'
        data[end] = "?"  # (the relation is dropped: its errors were counted)
        if set(given) != {END_FIELD}:
            others = ", ".join(repr(k) for k in given if k != END_FIELD)
            errors.append(SyncError(where, f"'{end}' must be an entity id or an external id as in {example}, "
                                           f"not {f'an object with the keys {others}' if others else 'an empty object'}"))
            continue
        named = given[END_FIELD]
        if not isinstance(named, dict) or len(named) != 1:
            errors.append(SyncError(f"{where}.{END_FIELD}", f"'{END_FIELD}' must name one system and the id in it, "
                                                            f'as in {{"jira": "PMO-12"}}, not {_describe(named)}'))
            continue
        ((system, value),) = named.items()
        if fault := crosswalk.fault(system, value):
            errors.append(SyncError(f"{where}.{END_FIELD}.{system}", fault))
            continue
        data[end] = reference(system, value)
    return RawItem(data, item.where, item.from_text)


def _required_fields(item: RawItem, names: tuple[str, ...], what: str, errors: list[SyncError],
                     references: bool = False) -> list | None:
    """The item's required text fields (None for each missing one), or None if it is not an object;
    ``references``: the first and last may be relation ends given by external id (already checked)."""
    data = item.data
    if not isinstance(data, dict):
        errors.append(SyncError(str(item.where), f"{what} must be an object with {', '.join(names[:-1])} and {names[-1]}, not {_describe(data)}"))
        return None
    first, second, third = values = [data.get(names[0]), data.get(names[1]), data.get(names[2])]
    if (type(first) is str and type(second) is str and type(third) is str and first and second and third
            and first.isascii() and second.isascii() and third.isascii()
            # printable ASCII holds no control character: the rule of schema/text.py needs no other look
            and first.isprintable() and second.isprintable() and third.isprintable()):
        return values  # the common case, checked at once
    if references:
        return [value if isinstance(value, str) and referenced(value) is not None and at != 1
                else _required_text(data, name, item.where, errors)
                for at, (name, value) in enumerate(zip(names, (first, second, third), strict=True))]
    return [_required_text(data, name, item.where, errors) for name in names]


def _repeated(key: object, item: RawItem, seen: dict, errors: list[SyncError]) -> None:
    label, location = ((f"the relation {key}", str(item.where)) if isinstance(key, RelationKey)
                       else (f"id '{key}'", item.where.field("id")))
    errors.append(SyncError(location, f"{label} appears twice in the document (also at {seen[key]})"))


def validate(source: object, entities: Iterable[RawItem], relations: Iterable[RawItem], origin: str,
             errors: list[SyncError] | None = None, max_errors: int | None = None) -> Document:
    """A Document carrying every error found (including those passed in) in ``errors``: an ErrorList
    listing the first ``max_errors`` (None: all) and counting every one."""
    with collector_paused():
        return _validate(source, entities, relations, origin, errors, max_errors)


def _validate(source, entities, relations, origin: str, errors, max_errors: int | None) -> Document:
    vocab = vocabulary()
    reserved = _reserved()
    errors = ErrorList(errors or (), max_errors)
    if source is not None and (fault := source_name_fault(source)):
        shown = _describe(source) if not isinstance(source, str) or len(source) < 60 else "a long text"
        errors.append(SyncError(f"{origin}: source", f"'source' {fault}, not {shown}", INVALID_SOURCE_NAME))
        source = None
    doc = Document(source=source, origin=origin)
    seen: dict[object, Where] = {}
    for item in entities:
        fields = _required_fields(item, _ENTITY_FIELDS, "an entity", errors)
        if fields is None:
            continue
        entity_id, kind, name = fields
        if kind is not None and kind not in vocab.kinds:
            spec = vocab.kind_by_enum.get(kind)
            if spec is None:
                errors.append(SyncError(item.where.field("kind"), f"unknown kind '{kind}'; the kinds are {', '.join(vocab.kinds)}"))
            kind = spec.name if spec else None
        if entity_id in seen:  # (the duplicate check is written out here: it runs for every item)
            _repeated(entity_id, item, seen, errors)
        elif entity_id is not None:
            seen[entity_id] = item.where
        props = _properties(item.data, _ENTITY_SKIP, item, errors, reserved)
        if entity_id is not None and kind is not None and name is not None:
            # kept even with bad properties (the document is rejected anyway) so that the graph
            # checks can still resolve relations to it and report their own errors
            doc.entities.append(Entity(entity_id, kind, {"name": name, **props}, str(item.where)))
        elif entity_id is not None:
            doc.unresolved.add(entity_id)
    for item in relations:
        n_before = errors.total
        item = _relation_ends(item, errors)
        fields = _required_fields(item, _RELATION_FIELDS, "a relation", errors, references=True)
        if fields is None:
            continue
        from_id, rel_type, to_id = fields
        if rel_type is not None and rel_type not in vocab.relations:
            hint = f" (did you mean {rel_type.upper()}?)" if rel_type.upper() in vocab.relations else ""
            errors.append(SyncError(item.where.field("type"), f"unknown relation type '{rel_type}'{hint}; the types are {', '.join(vocab.relations)}"))
        props = _properties(item.data, _RELATION_SKIP, item, errors, reserved, entity=False)
        if errors.total == n_before:
            key = RelationKey(from_id, rel_type, to_id)
            if key in seen and referenced(from_id) is None and referenced(to_id) is None:
                _repeated(key, item, seen, errors)
            else:
                seen[key] = item.where
                doc.relations.append(Relation(key, props, str(item.where)))
    doc.errors = errors
    return doc


def validate_mapping(data: object, origin: str, max_errors: int | None = None) -> Document:
    """Validate a parsed JSON or YAML exchange document (errors are carried in the document, the first
    ``max_errors`` of them listed and all counted: see ErrorList)."""
    if not isinstance(data, dict):
        return Document(None, origin=origin, errors=[SyncError(origin, f"an exchange document must be an object with entities and relations, not {_describe(data)}")])
    errors = [
        SyncError(f"{origin}: {key}", f"unknown top-level field '{key}'; a document has {', '.join(sorted(_TOP_LEVEL))}")
        for key in data
        if key not in _TOP_LEVEL
    ]
    lists = {}
    with collector_paused():  # one pause for making the items and validating them
        for part in ("entities", "relations"):
            value = data.get(part, [])
            if value is None:
                value = []
            if not isinstance(value, list):
                errors.append(SyncError(f"{origin}: {part}", f"'{part}' must be a list, not {_describe(value)}"))
                value = []
            lists[part] = [RawItem(x, Where(f"{origin}: {part}[{i}]")) for i, x in enumerate(value)]
        return validate(data.get("source"), lists["entities"], lists["relations"], origin, errors, max_errors)
