"""ArchiMate models in the Open Group Exchange Format (ArchiMate 3.0 and 3.1).

Goal → Goal, Outcome → Outcome, WorkPackage → Project, Deliverable →
Deliverable, Value → Benefit. Between mapped elements, Realization, Influence
and directed Association become the first of DELIVERS, ENABLES, REALISES,
CONTRIBUTES_TO, SUPPORTS that the two kinds allow; Aggregation and
Composition (whole → part) become part PART_OF whole; Triggering and Flow
between work packages become DEPENDS_ON (the later depends on the earlier).
Everything else is counted by type in the load's warnings, never dropped
silently. Files written by ``valuegraph export --format archimate`` carry each
entity's kind and each relation's type as properties, which are honoured.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from valuegraph.graph.model import Document, DocumentRejected, SyncError
from valuegraph.loaders.base import Loader, LoaderConfig
from valuegraph.loaders.recipe import parse_yaml_model
from valuegraph.loaders.validate import RawItem, Where, validate
from valuegraph.schema import vocabulary

NS3 = "http://www.opengroup.org/xsd/archimate/3.0/"
XSI_TYPE = "{http://www.w3.org/2001/XMLSchema-instance}type"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
KIND_PROPERTY = "valuegraphKind"
TYPE_PROPERTY = "valuegraphType"

ELEMENTS = {"Goal": "Goal", "Outcome": "Outcome", "WorkPackage": "Project", "Deliverable": "Deliverable",
            "Value": "Benefit"}
REALISING = ("Realization", "Influence")
REALISED_AS = ("DELIVERS", "ENABLES", "REALISES", "CONTRIBUTES_TO", "SUPPORTS")
WHOLE_PART = ("Aggregation", "Composition")
SEQUENCE = ("Triggering", "Flow")


def _tag(name: str) -> str:
    return f"{{{NS3}}}{name}"


def _text(node, name: str, strip: bool = True) -> str | None:
    found = node.find(_tag(name))
    if found is None or not found.text:
        return None
    return found.text.strip() if strip else found.text


def read_model(path: Path) -> ET.Element:
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as exc:
        line, column = getattr(exc, "position", (0, 0))
        message = str(exc).split(":")[0]
        raise DocumentRejected([SyncError(f"{path}:{line}:{column + 1}", f"malformed XML: {message}")]) from exc
    except LookupError as exc:
        raise DocumentRejected([SyncError(str(path), f"the XML declares an encoding Python does not know: {exc}")]) from exc
    except OSError as exc:
        raise DocumentRejected([SyncError(str(path), f"cannot read the file: {exc.strerror or exc}")]) from exc
    namespace = root.tag[1:].split("}")[0] if root.tag.startswith("{") else ""
    if namespace != NS3:
        what = ("an ArchiMate 2.1 exchange file" if namespace.startswith("http://www.opengroup.org/xsd/archimate")
                else "not an ArchiMate 3 exchange file")
        raise DocumentRejected([SyncError(str(path), f"this is {what} (namespace '{namespace or 'none'}'); "
                                                     "valuegraph reads ArchiMate 3.0 and 3.1")])
    return root


def _properties(node, definitions: dict[str, str]) -> dict[str, str]:
    out = {}
    container = node.find(_tag("properties"))
    for prop in container if container is not None else ():
        name = definitions.get(prop.get("propertyDefinitionRef"))
        # an id written by valuegraph is read exactly: spaces around it are part of it
        value = _text(prop, "value", strip=name != ID_PROPERTY)
        if name and value is not None:
            out[name] = value
    return out


class ArchimateMapping(BaseModel):
    """A mapping override (``--recipe`` for an ArchiMate file): more element types, other relation types."""

    model_config = ConfigDict(extra="forbid")

    elements: dict[str, str] = {}  # ArchiMate element type -> kind
    relationships: dict[str, str] = {}  # ArchiMate relationship type -> relation type (source -> target)


def load_mapping(path: Path) -> ArchimateMapping:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise DocumentRejected([SyncError(str(path), f"cannot read the mapping: {exc.strerror or exc}")]) from exc
    mapping = parse_yaml_model(text, ArchimateMapping, str(path))
    vocab = vocabulary()
    errors = [SyncError(f"{path}: elements.{t}", f"unknown kind '{k}'; the kinds are {', '.join(vocab.kinds)}")
              for t, k in mapping.elements.items() if k not in vocab.kinds]
    errors += [SyncError(f"{path}: relationships.{t}", f"unknown relation type '{r}'")
               for t, r in mapping.relationships.items() if r not in vocab.relations]
    if errors:
        raise DocumentRejected(errors)
    return mapping


def _relation_type(rel_type: str, attrs: dict, source_kind: str, target_kind: str,
                   overrides: dict[str, str] | None = None) -> tuple[str, bool] | None:
    """(valuegraph relation type, whether the ends swap) for an ArchiMate relationship, or None."""
    allowed = vocabulary().relations
    if overrides and rel_type in overrides:
        name = overrides[rel_type]
        ok = source_kind in allowed[name].from_kinds and target_kind in allowed[name].to_kinds
        return (name, False) if ok else None
    if rel_type in REALISING or (rel_type == "Association" and attrs.get("isDirected") == "true"):
        for name in REALISED_AS:
            if source_kind in allowed[name].from_kinds and target_kind in allowed[name].to_kinds:
                return name, False
    elif rel_type in WHOLE_PART:
        if target_kind in allowed["PART_OF"].from_kinds and source_kind in allowed["PART_OF"].to_kinds:
            return "PART_OF", True
    elif rel_type in SEQUENCE and source_kind == target_kind == "Project":
        return "DEPENDS_ON", True
    return None


def model_document(path: Path, mapping: ArchimateMapping | None = None) -> Document:
    mapping = mapping or ArchimateMapping()
    elements_map = {**ELEMENTS, **mapping.elements}
    root = read_model(path)
    origin = str(path)
    kinds = vocabulary().kinds
    definitions = {}
    for definition in root.find(_tag("propertyDefinitions")) if root.find(_tag("propertyDefinitions")) is not None else ():
        definitions[definition.get("identifier")] = _text(definition, "name")
    mapped: dict[str, str] = {}
    ids: dict[str, str] = {}  # element identifier -> entity id
    entities, relations = [], []
    left_out: Counter = Counter()
    for element in root.find(_tag("elements")) if root.find(_tag("elements")) is not None else ():
        archimate_type = element.get(XSI_TYPE)
        props = _properties(element, definitions)
        kind = props.pop(KIND_PROPERTY, None) or elements_map.get(archimate_type)
        if kind not in kinds:
            left_out[f"element {archimate_type}"] += 1
            continue
        identifier = element.get("identifier")
        entity_id = props.pop(ID_PROPERTY, None) or identifier
        mapped[identifier] = kind
        ids[identifier] = entity_id
        data = {"id": entity_id, "kind": kind, "name": _text(element, "name") or entity_id, **props}
        if (documentation := _text(element, "documentation")) is not None:
            data["description"] = documentation
        # property values are text in ArchiMate: known properties are parsed from it, as from CSV
        entities.append(RawItem(data, Where(f"{origin}: element {identifier}"), from_text=True))
    for rel in root.find(_tag("relationships")) if root.find(_tag("relationships")) is not None else ():
        rel_type = rel.get(XSI_TYPE)
        source, target = rel.get("source"), rel.get("target")
        props = _properties(rel, definitions)
        if source not in mapped or target not in mapped:
            left_out[f"relationship {rel_type}"] += 1
            continue
        given = props.pop(TYPE_PROPERTY, None)
        if given:
            flip = rel_type in WHOLE_PART or rel_type in SEQUENCE
            found = (given, flip)
        else:
            found = _relation_type(rel_type, rel.attrib, mapped[source], mapped[target], mapping.relationships)
        if found is None:
            left_out[f"relationship {rel_type} from {mapped[source]} to {mapped[target]}"] += 1
            continue
        name, swap = found
        a, b = (target, source) if swap else (source, target)
        relations.append(RawItem({"from": ids[a], "type": name, "to": ids[b], **props},
                                 Where(f"{origin}: relationship {rel.get('identifier')}"), from_text=True))
    doc = validate(None, entities, relations, origin)
    views = root.find(_tag("views"))
    if views is not None:
        left_out["view"] += sum(1 for _ in views.iter(_tag("view")))
    groups: dict[str, list[str]] = {}
    for what, n in sorted(left_out.items()):
        group, _, detail = what.partition(" ")
        groups.setdefault(group, []).append(f"{detail} {n}" if detail else str(n))
    doc.warnings = [
        SyncError(origin, f"left out {sum(left_out[w] for w in left_out if w.split(' ')[0] == group)} "
                          f"{group}s: {', '.join(parts)}" if group != "view" else f"left out {parts[0]} views")
        for group, parts in groups.items()
    ]
    doc.left_out = dict(left_out)
    return doc


class ArchimateConfig(LoaderConfig):
    mapping: Path | None = None


class ArchimateLoader(Loader):
    """Elements and relationships of an ArchiMate model, mapped to kinds and relation types (the mapping
    can be overridden by a recipe)."""

    name = "archimate"
    description = "ArchiMate 3.0/3.1 model in the Open Group Exchange Format (.xml); a recipe may override the mapping"
    config_class = ArchimateConfig
    media_types = {"application/xml": ".xml", "text/xml": ".xml"}

    @classmethod
    def accepts(cls, path: Path) -> bool:
        if not (path.is_file() and path.suffix.lower() == ".xml"):
            return False
        with path.open("rb") as handle:
            return b"opengroup.org/xsd/archimate" in handle.read(4096)

    def documents(self) -> Iterator[Document]:
        mapping = load_mapping(self.config.mapping) if self.config.mapping is not None else None
        yield model_document(self.config.path, mapping)


# ---------------------------------------------------------------- export

EXPORT_TYPES = {"Goal": "Goal", "Objective": "Goal", "KeyResult": "Outcome", "Portfolio": "WorkPackage",
                "Programme": "WorkPackage", "Project": "WorkPackage", "Deliverable": "Deliverable",
                "Outcome": "Outcome", "Benefit": "Value", "CustomerSegment": "Stakeholder", "Person": "BusinessActor",
                "Team": "BusinessCollaboration"}
ID_PROPERTY = "valuegraphId"


def _xml_id(entity_id: str) -> str:
    """An xs:ID for any id (valuegraph ids may hold spaces and slashes); the id itself travels as a property."""
    return "id-" + entity_id.encode("utf-8").hex()


def export_model(store, output) -> None:
    """Write the graph as an ArchiMate 3.1 exchange file that Archi opens and `valuegraph load` reads back."""
    ET.register_namespace("", NS3)
    ET.register_namespace("xsi", "http://www.w3.org/2001/XMLSchema-instance")
    model = ET.Element(_tag("model"), {"identifier": "id-valuegraph-model"})
    ET.SubElement(model, _tag("name"), {XML_LANG: "en"}).text = "valuegraph"
    elements = ET.SubElement(model, _tag("elements"))
    relationships = ET.SubElement(model, _tag("relationships"))
    definitions: dict[str, str] = {}

    def prop_ref(name: str) -> str:
        return definitions.setdefault(name, f"propid-{len(definitions) + 1}")

    def add_properties(parent, props: dict) -> None:
        if not props:
            return
        container = ET.SubElement(parent, _tag("properties"))
        for name, value in props.items():
            prop = ET.SubElement(container, _tag("property"), {"propertyDefinitionRef": prop_ref(name)})
            text = value.isoformat() if hasattr(value, "isoformat") else str(value).lower() if isinstance(value, bool) else str(value)
            ET.SubElement(prop, _tag("value"), {XML_LANG: "en"}).text = text

    entities: dict[str, tuple[str, dict]] = {}
    relations: dict = {}
    for source in store.sources():
        state = store.source_state(source)
        for entity_id, (kind, props) in state.entities.items():
            entities.setdefault(entity_id, (kind, {}))[1].update(props)
        for key, props in state.relations.items():
            relations.setdefault(key, {}).update(props)
    for entity_id, (kind, props) in sorted(entities.items()):
        props = dict(props)
        element = ET.SubElement(elements, _tag("element"), {"identifier": _xml_id(entity_id),
                                                            XSI_TYPE: EXPORT_TYPES[kind]})
        ET.SubElement(element, _tag("name"), {XML_LANG: "en"}).text = str(props.pop("name", entity_id))
        if "description" in props:
            ET.SubElement(element, _tag("documentation"), {XML_LANG: "en"}).text = str(props.pop("description"))
        add_properties(element, {ID_PROPERTY: entity_id, KIND_PROPERTY: kind, **props})
    for n, (key, props) in enumerate(sorted(relations.items()), start=1):
        if key.type == "PART_OF":
            rel_type, source, target = "Aggregation", key.to_id, key.from_id  # whole -> part
        elif key.type == "DEPENDS_ON" and EXPORT_TYPES[entities[key.from_id][0]] == "WorkPackage" \
                and EXPORT_TYPES[entities[key.to_id][0]] == "WorkPackage":
            rel_type, source, target = "Triggering", key.to_id, key.from_id  # the earlier triggers the later
        else:
            rel_type, source, target = "Association", key.from_id, key.to_id
        attrs = {"identifier": f"id-rel-{n}", "source": _xml_id(source), "target": _xml_id(target), XSI_TYPE: rel_type}
        if rel_type == "Association":
            attrs["isDirected"] = "true"
        relationship = ET.SubElement(relationships, _tag("relationship"), attrs)
        add_properties(relationship, {TYPE_PROPERTY: key.type, **props})
    container = ET.SubElement(model, _tag("propertyDefinitions"))
    for name, ref in definitions.items():
        definition = ET.SubElement(container, _tag("propertyDefinition"), {"identifier": ref, "type": "string"})
        ET.SubElement(definition, _tag("name"), {XML_LANG: "en"}).text = name
    ET.indent(model)
    ET.ElementTree(model).write(output, encoding="UTF-8", xml_declaration=True)
