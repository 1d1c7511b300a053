"""Directions from where the citizen stands (a kiosk) to a place in the hall.

The avatar points toward the place, so the answer is relative to the kiosk's
facing, not a compass bearing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from kb.schema import Kiosk, Position

Side = Literal["left", "right", "ahead", "behind"]


@dataclass(frozen=True)
class Directions:
    kiosk_id: str
    side: Side
    distance_m: int
    floor_change: int
    sentence: str

    @property
    def gesture(self) -> str:
        return {"left": "point_left", "right": "point_right"}.get(self.side, "point_forward")

    def card(self) -> dict[str, object]:
        """The `directions` field of a client card (drives the avatar's pointing)."""
        return {"kiosk_id": self.kiosk_id, "side": self.side, "gesture": self.gesture,
                "floor_change": self.floor_change, "distance_m": self.distance_m}  # fmt: skip


def relative_side(kiosk: Kiosk, target: Position) -> tuple[Side, float]:
    dx, dy = target.x - kiosk.position.x, target.y - kiosk.position.y
    distance = math.hypot(dx, dy)
    if distance < 0.5:
        return "ahead", distance
    bearing = math.degrees(math.atan2(dx, dy)) % 360  # 0 = +y, 90 = +x
    rel = (bearing - kiosk.facing_deg + 540) % 360 - 180  # -180..180, positive = to the right
    if -35 <= rel <= 35:
        return "ahead", distance
    if 35 < rel < 145:
        return "right", distance
    if -145 < rel < -35:
        return "left", distance
    return "behind", distance


def directions_to(kiosk: Kiosk, target: Position, floor: int, place: str) -> Directions:
    side, distance = relative_side(kiosk, target)
    floor_change = floor - kiosk.floor
    way = {
        "left": "on your left",
        "right": "on your right",
        "ahead": "straight ahead",
        "behind": "behind you",
    }[side]
    if floor_change == 0:
        sentence = f"{place} is {way}, about {round(distance)} metres from here."
    else:
        level = "up" if floor_change > 0 else "down"
        floors = f"{abs(floor_change)} floor{'s' if abs(floor_change) > 1 else ''}"
        sentence = f"{place} is on floor {floor}: take the lift {level} {floors}, and it is {way} as you come out."
    return Directions(
        kiosk_id=kiosk.id, side=side, distance_m=round(distance), floor_change=floor_change, sentence=sentence
    )
