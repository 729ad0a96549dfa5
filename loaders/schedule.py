"""Project schedules: Microsoft Project, Primavera P6 and every other format MPXJ's universal reader detects.

Needs the optional extra ``valuegraph[schedules]`` (MPXJ and JPype) and Java; the JVM starts on the first
schedule read in a process (``schedule_jvm.py``). The file is read in ``schedule_read.py`` and mapped in
``schedule_map.py``; a recipe (YAML, a built-in name or a file) overrides the mapping.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from pydantic import Field

from valuegraph.graph.model import Document
from valuegraph.loaders.base import Loader, LoaderConfig
from valuegraph.loaders.recipe import parse_yaml_model, recipe_text
from valuegraph.loaders.schedule_formats import sniff
from valuegraph.loaders.schedule_map import ScheduleRecipe, plan_document
from valuegraph.loaders.schedule_read import read_plan


def load_schedule_recipe(name_or_path: str) -> ScheduleRecipe:
    """A schedule recipe: a built-in one by name or a YAML file by path (located errors otherwise)."""
    text, origin = recipe_text(name_or_path)
    return parse_yaml_model(text, ScheduleRecipe, origin)


class ScheduleConfig(LoaderConfig):
    recipe: str | None = Field(None, description="a schedule recipe: a built-in one's name or a YAML file")


class ScheduleLoader(Loader):
    """Projects, deliverables, people and links of a project schedule."""

    name = "schedule"
    description = ("a project schedule: Microsoft Project (.mpp, .mpx, MSPDI .xml), Primavera P6 (.xer, PMXML), "
                   "Planner, GanttProject… (needs Java and the schedules extra)")
    config_class = ScheduleConfig

    @classmethod
    def accepts(cls, path: Path) -> bool:
        """A file whose content is a schedule, whatever its name ends with (an .xml may be MSPDI or ArchiMate)."""
        return path.is_file() and sniff(path) is not None

    def documents(self) -> Iterator[Document]:
        recipe = load_schedule_recipe(self.config.recipe) if self.config.recipe else ScheduleRecipe()
        path = self.config.path
        fields = (recipe.objective_field,) if recipe.objective_field else ()
        yield plan_document(read_plan(path, fields), recipe, str(path), path.stem)
