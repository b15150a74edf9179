"""Synthetic Belgian incidents: a year of burglaries around Mons and, if asked, a wave."""

from __future__ import annotations

import math
from datetime import date, timedelta

import numpy as np

from phenomena.detection.projection import projector
from phenomena.incidents import Incident
from phenomena.taxonomy import PhenomenonType

DAY = date(2026, 11, 20)
MONS = (50.4541, 3.9523)


USUAL_MODUS = (
    "porte arrière forcée avec un tournevis",
    "fenêtre cassée, bijoux volés",
    "cylindre de la serrure arraché",
)


def incidents_around_mons(
    wave: int, seed: int = 3, background: int = 900, new_modus: int = 0
) -> list[Incident]:
    rng = np.random.default_rng(seed)
    project = projector("EPSG:4326")
    out: list[Incident] = []
    for _ in range(background):
        lat = MONS[0] + rng.uniform(-0.09, 0.09)
        lon = MONS[1] + rng.uniform(-0.14, 0.14)
        x, y = project(lon, lat)
        day = DAY - timedelta(days=int(rng.integers(0, 365)))
        modus = USUAL_MODUS[int(rng.integers(0, len(USUAL_MODUS)))]
        out.append(Incident(day, x, y, PhenomenonType.RESIDENTIAL_BURGLARY, "53053", modus, None))
    for _ in range(wave):
        angle, r = rng.uniform(0, 2 * math.pi), 250 * math.sqrt(rng.uniform())
        lat = MONS[0] + r * math.sin(angle) / 111_200
        lon = MONS[1] + r * math.cos(angle) / (111_200 * math.cos(math.radians(MONS[0])))
        x, y = project(lon, lat)
        day = DAY - timedelta(days=int(rng.integers(0, 7)))
        out.append(
            Incident(
                day, x, y, PhenomenonType.RESIDENTIAL_BURGLARY, "53053", "rear window smashed", None
            )
        )
    for i in range(new_modus):  # scattered over the whole area: a modus, not a place
        lat = MONS[0] + rng.uniform(-0.09, 0.09)
        lon = MONS[1] + rng.uniform(-0.14, 0.14)
        x, y = project(lon, lat)
        day = DAY - timedelta(days=int(rng.integers(0, 10)))
        out.append(
            Incident(
                day,
                x,
                y,
                PhenomenonType.RESIDENTIAL_BURGLARY,
                "53053",
                f"un homme montre une fausse carte de police ({i})",
                None,
            )
        )
    return out
