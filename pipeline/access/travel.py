"""How the access stage measures distances: the walking and cycling networks, or straight lines times a detour factor."""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.core import datasets
from pipeline.core.config import Config
from pipeline.core.log import warn
from pipeline.network import Network, load_or_build_network


@dataclass(frozen=True)
class Travel:
    """How distances are measured: the walking and cycling networks, or straight lines times a detour factor."""

    walk: Network | None
    bike: Network | None
    detour_factor: float

    @property
    def method(self) -> str:
        """The `distance_method` written in every output."""
        return "network" if self.walk is not None else f"straight_line_x{self.detour_factor:g}"


def load_travel(config: Config) -> Travel:
    """The walking and cycling networks (cached), or the straight-line fallback when there are no streets."""
    settings = config["access"]
    walk, bike = load_or_build_network(config, "walk"), load_or_build_network(config, "bike")
    if walk is None:
        warn(f"there is no streets layer; distances are straight lines times {settings['detour_factor']:g} "
             "(distance_method straight_line)")
        datasets.output_path(config, "network").unlink(missing_ok=True)
    else:
        dropped = sorted(set(walk.dropped_street_ids) | set(bike.dropped_street_ids))
        if dropped:
            warn(f"{len(dropped)} streets were not connected to the main network and were left out of routing "
                 f"(e.g. street_id {', '.join(dropped[:10])})")
    return Travel(walk, bike, float(settings["detour_factor"]))
