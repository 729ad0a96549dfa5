"""Which schedule format a file holds, told from its content (no JVM needed).

An ``.xml`` file may be Microsoft Project XML (MSPDI), Primavera PMXML, an ArchiMate model or anything else,
so XML is told by its root element and namespace; ``.mpp`` by the OLE2 compound-file signature and the
``MSProject`` class name it stores; XER by its ``ERMHDR`` header; MPX by its ``MPX`` first record. Formats
MPXJ reads that have no signature worth sniffing are recognised by their name's ending.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

OLE2 = bytes.fromhex("d0cf11e0a1b11ae1")
MSPDI_NAMESPACE = "http://schemas.microsoft.com/project"
#: how far into an OLE2 file the ``MSProject`` class name is looked for (it sits in the first few KiB)
OLE2_LOOK = 1 << 20

#: formats MPXJ reads, known by their name's ending (their content has no easy signature)
SUFFIXES = {
    ".mpp": "Microsoft Project (.mpp)", ".mpt": "Microsoft Project template (.mpt)",
    ".gan": "GanttProject (.gan)", ".planner": "GNOME Planner (.planner)", ".pod": "ProjectLibre (.pod)",
    ".pp": "Asta Powerproject (.pp)", ".pep": "TurboProject (.pep)", ".fts": "FastTrack Schedule (.fts)",
    ".sdef": "SDEF (.sdef)", ".prx": "Primavera P3 (.prx)", ".stx": "Primavera SureTrak (.stx)",
    ".cdpx": "ConceptDraw PROJECT (.cdpx)", ".cdpz": "ConceptDraw PROJECT (.cdpz)",
}


def _xml_root(path: Path) -> tuple[str, str, dict[str, str]] | None:
    """(local name, namespace, attributes) of an XML file's root element; None when it is not XML."""
    try:
        with path.open("rb") as handle:
            for _, element in ET.iterparse(handle, events=("start",)):
                tag = element.tag
                namespace, _, local = tag[1:].partition("}") if tag.startswith("{") else ("", "", tag)
                return local, namespace, dict(element.attrib)
    except (ET.ParseError, OSError, LookupError):
        return None
    return None


def sniff(path: Path) -> str | None:
    """What schedule format ``path`` holds, in words (as in "Primavera P6 (XER)"); None when it holds none
    that valuegraph recognises."""
    try:
        with path.open("rb") as handle:
            head = handle.read(OLE2_LOOK)
    except OSError:
        return None
    suffix = path.suffix.lower()
    if head.startswith(OLE2):
        # an OLE2 file may be a Word or Excel file as well: Project's class name settles it
        return SUFFIXES[".mpp"] if b"MSProject" in head or suffix in (".mpp", ".mpt") else None
    text_head = head[:64].lstrip(b"\xef\xbb\xbf")
    if text_head.startswith(b"ERMHDR"):
        return "Primavera P6 (XER)"
    if text_head[:4] in (b"MPX,", b"MPX;", b"MPX\t"):
        return "Microsoft Project exchange (MPX)"
    if text_head.lstrip().startswith(b"<"):
        root = _xml_root(path)
        if root is None:
            return None
        local, namespace, attributes = root
        if local == "Project" and namespace == MSPDI_NAMESPACE:
            return "Microsoft Project XML (MSPDI)"
        if local == "APIBusinessObjects":
            return "Primavera P6 XML (PMXML)"
        if local == "project" and not namespace:
            if "mrproject-version" in attributes:
                return "GNOME Planner"
            if suffix == ".gan" or b"ganttproject" in head[:4096].lower():
                return "GanttProject (.gan)"
        return None
    return SUFFIXES.get(suffix)
