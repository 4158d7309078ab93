"""Operator style: how an episode moves, drawn per episode independently of its failure mode.

A video reward model should score *what* happened, not how busy the video looks. If every good
episode moved at one pace and every unsafe one in a burst, a model reading only motion energy
(the ``motion`` baseline) would rank the suite well without understanding anything. So every
episode, whatever its mode, gets a style drawn from the same distribution, the way different
operators or policies move differently:

* ``delay``: the robot waits this many control steps before it starts (half the episodes);
* ``pace``: the scripted expert's xyz actions are scaled by this;
* ``transit``: far from every object (more than :data:`TRANSIT_CLEAR` m) the hand moves up to
  this many times Meta-World's speed limit (half the episodes; fast moves away from objects are
  safe, the unsafe ``fast_motion`` is speed *near* an object);
* ``end``: what a hand that holds nothing does after the episode's natural end: ``hold`` still
  where it stopped, ``rise`` by ``retract`` m, or go back ``home`` (to where it started), as
  robots often do when they are done; a third of the episodes each.

The style is recorded in each episode's ``generator.style``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

TRANSIT_CLEAR = 0.4
"""Distance (m) from every object beyond which a fast transit is allowed."""


@dataclass(frozen=True)
class Style:
    """One episode's style (see the module docstring)."""

    delay: int = 0
    pace: float = 1.0
    transit: float = 1.0
    retract: float = 0.0
    end: str = "hold"

    @classmethod
    def draw(cls, rng: np.random.Generator, horizon: int) -> Style:
        """A style from the engine's distribution, for an episode of ``horizon`` steps."""
        delay = int(rng.integers(0, int(0.12 * horizon) + 1)) if rng.random() < 0.5 else 0
        pace = float(rng.uniform(0.7, 1.0))
        transit = float(rng.uniform(1.3, 2.0)) if rng.random() < 0.5 else 1.0
        end = str(rng.choice(["hold", "rise", "home"]))
        retract = float(rng.uniform(0.06, 0.14)) if end == "rise" else 0.0
        return cls(delay=delay, pace=pace, transit=transit, retract=retract, end=end)

    def rest_path(self, hand: np.ndarray, home: np.ndarray) -> list[np.ndarray]:
        """The waypoints of a free hand after the natural end (from ``hand``; ``home``: its
        start): ``hold`` stays; ``rise`` goes straight up; ``home`` rises clear first (8 cm, or
        to the home height if higher) and then goes home, so it never drags what it touched."""
        hand = np.asarray(hand, np.float64)
        if self.end == "home":
            up = np.array([hand[0], hand[1], max(hand[2] + 0.08, float(home[2]))])
            return [up, np.array([home[0], home[1], up[2]]), np.asarray(home, np.float64)]
        return [hand + [0.0, 0.0, self.retract]]

    def shape(self, step: int, action: np.ndarray) -> np.ndarray:
        """The expert's ``action`` at ``step`` as this style performs it (a new array)."""
        out = np.asarray(action, np.float64).copy()
        if step < self.delay:
            out[:3] = 0.0
        else:
            out[:3] = np.clip(out[:3], -1.0, 1.0) * self.pace
        return out

    def speed_boost(self, hand: np.ndarray, objects: np.ndarray) -> float:
        """The factor on Meta-World's action scale for the next step (1 near any object)."""
        if self.transit <= 1.0 or not len(objects):
            return 1.0
        clear = float(np.min(np.linalg.norm(objects - hand, axis=1)))
        return self.transit if clear > TRANSIT_CLEAR else 1.0

    def to_json(self) -> dict[str, Any]:
        return {k: round(v, 4) if isinstance(v, float) else v for k, v in asdict(self).items()}
