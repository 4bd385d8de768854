"""The six map pages, one module each, over a small panel kit (kit.py) and the layers they share (layers.py).

| module | page |
|---|---|
| index.py | index.html: every input layer, links, tables, map key, the run's warnings |
| social_balance.py | social-balance.html: indicative status (§61a), mix indicators, districts' pupil mix, segregation |
| accessibility.py | accessibility.html: a classed layer per access indicator, the distance method |
| school_sites.py | school-sites.html: catchments per scenario, the scenarios stage's comparison |
| urban_development.py | urban-development.html: per site the change in job access, the receiving areas, the summary |
| plan.py | plan.html: the plan over time, projected: status per year, shares against the cap, rehousing, projects |

Each builder is `build_<page>(inputs, config, maps_dir[, warnings], lang=None) -> Path`, in the configured
language unless `lang` is given. Panels are Jinja2 templates (pipeline/publish/templates/), autoescaped.
"""

from pipeline.publish.pages.accessibility import build_accessibility
from pipeline.publish.pages.index import MAX_STREET_VERTICES, build_index, merged_streets
from pipeline.publish.pages.kit import PAGES, Page, page_language
from pipeline.publish.pages.plan import build_plan
from pipeline.publish.pages.school_sites import build_school_sites
from pipeline.publish.pages.social_balance import build_social_balance
from pipeline.publish.pages.urban_development import build_urban_development

# The pages after the index, in the order the index lists them.
MAP_BUILDERS = (build_social_balance, build_accessibility, build_school_sites, build_urban_development, build_plan)

__all__ = ["MAP_BUILDERS", "MAX_STREET_VERTICES", "PAGES", "Page", "build_accessibility", "build_index",
           "build_plan", "build_school_sites", "build_social_balance", "build_urban_development", "merged_streets", "page_language"]
