"""The vocabulary: one source, matching the contract, with shapes that agree with it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import grimp
import networkx as nx
import pyoxigraph as ox
import pytest
import rdflib
from pyshacl import validate as shacl_validate

from valuegraph.graph.terms import source_graph
from valuegraph.schema import ValueType, vocabulary
from valuegraph.schema.registry import SH, VG, XSD

# The contract's tables (shared/contract/README.md, section 1), restated as the test's expectation.
CONTRACT_KINDS = ["Goal", "Objective", "KeyResult", "Portfolio", "Programme", "Project", "Deliverable", "Outcome",
                  "Benefit", "CustomerSegment", "Person", "Team"]
CONTRACT_RELATIONS = {
    "PART_OF": ({"Project", "Programme"}, {"Programme", "Portfolio"}, True),
    "DELIVERS": ({"Project", "Programme"}, {"Deliverable"}, True),
    "ENABLES": ({"Deliverable", "Project", "Programme"}, {"Outcome"}, True),
    "REALISES": ({"Outcome"}, {"Benefit"}, True),
    "CONTRIBUTES_TO": ({"Project", "Programme", "Portfolio", "Deliverable", "Outcome", "Benefit"},
                       {"Outcome", "Benefit", "KeyResult", "Objective", "Goal"}, True),
    "MEASURES": ({"KeyResult"}, {"Objective", "Goal"}, True),
    "SUPPORTS": ({"Objective", "Goal"}, {"Objective", "Goal"}, True),
    "SERVES": ({"Outcome", "Benefit"}, {"CustomerSegment"}, True),
    "DEPENDS_ON": ({"Project", "Programme", "Deliverable"}, {"Project", "Programme", "Deliverable"}, False),
    "SPONSORS": ({"Person"}, {"Portfolio", "Programme", "Project", "Goal", "Objective"}, False),
    "MANAGES": ({"Person"}, {"Portfolio", "Programme", "Project"}, False),
    "OWNS": ({"Person", "Team"}, {"Goal", "Objective", "KeyResult", "Outcome", "Benefit", "Deliverable"}, False),
    "MEMBER_OF": ({"Person"}, {"Team", "Project", "Programme"}, False),
}
NUMBERS = {"budget", "actualCost", "expectedValue", "realisedValue", "baseline", "target", "current", "progress", "weight"}
DATES = {"dueDate", "startDate", "endDate"}


def test_kinds_match_the_contract():
    vocab = vocabulary()
    assert list(vocab.kinds) == CONTRACT_KINDS
    assert vocab.kind("KEY_RESULT").name == "KeyResult"
    assert vocab.kind("CustomerSegment").enum == "CUSTOMER_SEGMENT"


def test_relation_types_match_the_contract():
    vocab = vocabulary()
    assert list(vocab.relations) == list(CONTRACT_RELATIONS)
    for name, (src, dst, chain) in CONTRACT_RELATIONS.items():
        spec = vocab.relations[name]
        assert (set(spec.from_kinds), set(spec.to_kinds), spec.value_chain) == (src, dst, chain), name


def test_known_properties_and_constraints():
    props = vocabulary().properties
    assert {n for n, p in props.items() if p.type is ValueType.NUMBER} == NUMBERS
    assert {n for n, p in props.items() if p.type is ValueType.DATE} == DATES
    assert props["status"].allowed == ("proposed", "active", "on_hold", "completed", "cancelled")
    assert props["status"].default == "active"
    assert props["health"].allowed == ("green", "amber", "red")
    assert (props["progress"].minimum, props["progress"].maximum) == (0, 1)
    assert (props["weight"].minimum, props["weight"].maximum) == (0, 1)
    # typical properties per kind, as listed in the contract
    assert vocabulary().kinds["Project"].properties == (
        "status", "health", "budget", "actualCost", "startDate", "endDate", "progress")
    assert set(vocabulary().kinds["KeyResult"].properties) == {"metric", "unit", "baseline", "target", "current", "dueDate"}


def test_shapes_agree_with_the_ontology():
    """Every constrained path is a declared property; numeric and date shapes match the declared ranges."""
    from importlib import resources

    shapes = rdflib.Graph().parse(data=resources.files("valuegraph.schema").joinpath("shapes.ttl").read_text(), format="turtle")
    props = vocabulary().properties
    sh = rdflib.Namespace(SH)
    number_node = rdflib.URIRef("https://valuegraph.dev/shapes#Number")
    date_node = rdflib.URIRef("https://valuegraph.dev/shapes#Date")
    for prop_shape in shapes.objects(None, sh.property):
        path = str(shapes.value(prop_shape, sh.path))
        name = path[len(VG):]
        assert name in props, f"shape for undeclared property {name}"
        node = shapes.value(prop_shape, sh.node)
        if props[name].type is ValueType.NUMBER:
            assert node == number_node, name
        elif props[name].type is ValueType.DATE:
            assert node == date_node, name
        else:
            assert shapes.value(prop_shape, sh.datatype) in (None, rdflib.URIRef(XSD + "string")), name


def _union_graph(graph) -> rdflib.Graph:
    """The union of all source graphs, as rdflib sees it (for pyshacl)."""
    out = rdflib.Graph()
    for name in graph.store.sources():
        data = graph.store.oxigraph.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=source_graph(name))
        out.parse(data=data, format="nt")
    return out


def _ontology_and_shapes() -> tuple[rdflib.Graph, rdflib.Graph]:
    from importlib import resources

    onto = rdflib.Graph().parse(data=resources.files("valuegraph.schema").joinpath("vocabulary.ttl").read_text(), format="turtle")
    shapes = rdflib.Graph().parse(data=resources.files("valuegraph.schema").joinpath("shapes.ttl").read_text(), format="turtle")
    return onto, shapes


def test_sample_portfolio_conforms_to_the_shapes(sample):
    onto, shapes = _ontology_and_shapes()
    conforms, _, text = shacl_validate(_union_graph(sample), shacl_graph=shapes, ont_graph=onto)
    assert conforms, text


@pytest.mark.parametrize(("prop", "value"), [
    ("status", rdflib.Literal("done")),
    ("budget", rdflib.Literal("lots")),
    ("progress", rdflib.Literal(3)),
    ("dueDate", rdflib.Literal("soon")),
])
def test_shapes_reject_what_the_loaders_reject(sample, prop, value):
    from valuegraph.graph.terms import entity_iri

    onto, shapes = _ontology_and_shapes()
    data = _union_graph(sample)
    data.add((rdflib.URIRef(entity_iri("PRJ-01").value), rdflib.URIRef(VG + prop), value))
    conforms, _, _ = shacl_validate(data, shacl_graph=shapes, ont_graph=onto)
    assert not conforms


LAYERS = ("valuegraph.schema", "valuegraph.graph", "valuegraph.loaders", "valuegraph.api", "valuegraph.cli")


def test_imports_point_one_way_and_no_package_has_an_import_cycle():
    """import-linter's contracts in pyproject.toml: the layers (cli > api > loaders > graph > schema) and no
    cycle between the modules of any package."""
    root = Path(__file__).resolve().parent.parent
    done = subprocess.run([str(Path(sys.executable).parent / "lint-imports"), "--no-cache", "--no-logo"], cwd=root,
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


def test_no_module_imports_itself_through_others():
    """No import cycle between any two modules of valuegraph, package ``__init__`` modules and imports inside
    functions included (grimp, import-linter's engine, reads every import statement)."""
    graph = grimp.build_graph(*LAYERS, cache_dir=None)
    imports = nx.DiGraph()
    for module in graph.modules:
        imports.add_node(module)
        imports.add_edges_from((module, imported) for imported in graph.find_modules_directly_imported_by(module))
    cycles = [sorted(c) for c in nx.strongly_connected_components(imports) if len(c) > 1]
    cycles += [[m] for m in imports if imports.has_edge(m, m)]
    assert not cycles, "modules that import each other: " + "; ".join(" <-> ".join(c) for c in sorted(cycles))


def test_importing_the_domain_model_loads_no_index_and_no_backend():
    """A loader imports ``valuegraph.graph.model``: that must not bring in the traversal index's numeric
    libraries nor the Neo4j driver (``ValueGraph`` and ``open_store`` load them on first use). pyoxigraph
    is not on the list: the vocabulary (schema/) is read with its Turtle parser, a few milliseconds."""
    heavy = ("numpy", "numba", "scipy", "networkx", "neo4j")
    code = ("import sys, valuegraph.graph.model, valuegraph.graph.errors, valuegraph.graph.store; "
            f"print(','.join(m for m in {heavy!r} if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == ""
    lazy_code = "from valuegraph.graph import ValueGraph, open_store; print(ValueGraph.__module__, open_store.__module__)"
    lazy = subprocess.run([sys.executable, "-c", lazy_code], capture_output=True, text=True, check=True)
    assert lazy.stdout.split() == ["valuegraph.graph.service", "valuegraph.graph.backends"]
