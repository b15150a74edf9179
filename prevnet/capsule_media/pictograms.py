"""A pictogram per phenomenon type, drawn here with Pillow's primitives (no icon files to ship).

Each is white line art on a coloured disc, designed on a 100-unit grid and drawn four times
larger, then reduced, for smooth edges at any size. Own work of prevnet's contributors, under
prevnet's licence (see README.md beside this file).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PIL import Image, ImageDraw

from phenomena.taxonomy import PhenomenonType

_SCALE = 4
WHITE = (255, 255, 255, 255)
Point = tuple[float, float]


class _Pen:
    """Draws on the 100-unit grid, scaled to the canvas."""

    def __init__(self, draw: ImageDraw.ImageDraw, size: int, ink: tuple[int, int, int, int]):
        self.draw, self.unit, self.ink = draw, size / 100, ink

    def _xy(self, points: Sequence[Point]) -> list[tuple[float, float]]:
        return [(x * self.unit, y * self.unit) for x, y in points]

    def _w(self, width: float) -> int:
        return max(1, round(width * self.unit))

    def shape(self, points: Sequence[Point], fill: bool = True, width: float = 4) -> None:
        if fill:
            self.draw.polygon(self._xy(points), fill=self.ink)
        else:
            self.draw.line([*self._xy(points), self._xy(points[:1])[0]], self.ink, self._w(width))

    def line(self, points: Sequence[Point], width: float = 4) -> None:
        self.draw.line(self._xy(points), fill=self.ink, width=self._w(width), joint="curve")

    def box(self, a: Point, b: Point, fill: bool = True, width: float = 4, r: float = 0) -> None:
        (x0, y0), (x1, y1) = self._xy([a, b])
        self.draw.rounded_rectangle(
            (x0, y0, x1, y1),
            radius=r * self.unit,
            fill=self.ink if fill else None,
            outline=None if fill else self.ink,
            width=0 if fill else self._w(width),
        )

    def disc(self, centre: Point, radius: float, fill: bool = True, width: float = 4) -> None:
        (x, y) = self._xy([centre])[0]
        r = radius * self.unit
        self.draw.ellipse(
            (x - r, y - r, x + r, y + r),
            fill=self.ink if fill else None,
            outline=None if fill else self.ink,
            width=0 if fill else self._w(width),
        )


def _house(p: _Pen) -> None:
    p.shape([(50, 18), (82, 46), (74, 46), (74, 80), (26, 80), (26, 46), (18, 46)])


def _residential_burglary(p: _Pen) -> None:
    _house(p)
    p.ink, ink = (0, 0, 0, 0), p.ink
    p.disc((50, 56), 7)
    p.shape([(46, 58), (54, 58), (57, 74), (43, 74)])
    p.ink = ink


def _business_burglary(p: _Pen) -> None:
    p.box((22, 40), (78, 80))
    p.shape([(18, 26), (82, 26), (86, 40), (14, 40)])
    p.ink, ink = (0, 0, 0, 0), p.ink
    p.box((30, 50), (46, 80))
    p.box((54, 50), (70, 66))
    p.ink = ink


def _car(p: _Pen, y: float = 0) -> None:
    p.shape([(16, 62 + y), (22, 46 + y), (34, 34 + y), (66, 34 + y), (78, 46 + y), (84, 62 + y)])
    p.box((14, 56 + y), (86, 70 + y), r=4)
    p.disc((30, 72 + y), 8)
    p.disc((70, 72 + y), 8)


def _vehicle_theft(p: _Pen) -> None:
    _car(p, y=6)
    p.disc((74, 22), 8, fill=False, width=4)
    p.line([(66, 24), (44, 24), (44, 30)], width=4)


def _theft_from_vehicle(p: _Pen) -> None:
    _car(p, y=8)
    p.box((40, 14), (60, 34), r=3)
    p.line([(45, 14), (45, 9), (55, 9), (55, 14)], width=3)


def _pickpocketing(p: _Pen) -> None:
    p.box((18, 30), (82, 74), r=8)
    p.ink, ink = (0, 0, 0, 0), p.ink
    p.box((58, 44), (86, 60), r=5)
    p.ink = ink
    p.disc((66, 52), 4)


def _phone_scam(p: _Pen) -> None:
    p.box((32, 14), (68, 86), r=8)
    p.ink, ink = (0, 0, 0, 0), p.ink
    p.box((37, 22), (63, 70))
    p.ink = ink
    p.disc((50, 78), 3)
    p.line([(78, 30), (86, 22)], width=4)
    p.line([(80, 44), (90, 44)], width=4)


def _doorstep_scam(p: _Pen) -> None:
    p.box((30, 14), (70, 86), fill=False, width=5)
    p.box((36, 20), (64, 86))
    p.ink, ink = (0, 0, 0, 0), p.ink
    p.disc((58, 54), 3.5)
    p.ink = ink


def _phishing(p: _Pen) -> None:
    p.box((14, 28), (74, 70), fill=False, width=5)
    p.line([(14, 28), (44, 52), (74, 28)], width=5)
    p.line([(84, 40), (84, 74)], width=4)
    p.line([(84, 74), (82, 82), (76, 84), (70, 80)], width=4)


def _drug_dealing(p: _Pen) -> None:
    p.line([(40, 86), (40, 26), (46, 18), (64, 18)], width=5)
    p.shape([(56, 20), (76, 20), (80, 32), (52, 32)])
    p.line([(30, 86), (52, 86)], width=5)
    for x, y in ((66, 44), (58, 48), (74, 48)):
        p.line([(66, 36), (x, y)], width=2)


def _vandalism(p: _Pen) -> None:
    p.box((18, 20), (82, 80), fill=False, width=5)
    p.line([(50, 20), (50, 80)], width=4)
    p.line([(18, 50), (82, 50)], width=4)
    p.line([(60, 24), (66, 36), (58, 42), (70, 54), (64, 64)], width=3)


def _arson(p: _Pen) -> None:
    p.shape(
        [
            (50, 12),
            (70, 40),
            (74, 60),
            (66, 78),
            (50, 86),
            (34, 78),
            (26, 60),
            (32, 42),
            (40, 54),
            (44, 34),
        ]
    )
    p.ink, ink = (0, 0, 0, 0), p.ink
    p.shape([(50, 52), (58, 64), (56, 76), (50, 80), (44, 76), (42, 66)])
    p.ink = ink


def _aggression(p: _Pen) -> None:
    p.shape([(50, 12), (80, 24), (76, 56), (50, 88), (24, 56), (20, 24)])
    p.ink, ink = (0, 0, 0, 0), p.ink
    p.line([(36, 50), (46, 60), (66, 38)], width=7)
    p.ink = ink


def _suspicious_vehicle(p: _Pen) -> None:
    _car(p, y=8)
    p.line([(42, 20), (44, 12), (56, 12), (58, 18), (50, 24), (50, 28)], width=4)
    p.disc((50, 33), 2.5)


def _suspicious_person(p: _Pen) -> None:
    p.shape([(10, 50), (30, 32), (50, 26), (70, 32), (90, 50), (70, 68), (50, 74), (30, 68)])
    p.ink, ink = (0, 0, 0, 0), p.ink
    p.disc((50, 50), 16)
    p.ink = ink
    p.disc((50, 50), 8)


def _other(p: _Pen) -> None:
    p.disc((50, 26), 7)
    p.box((43, 40), (57, 82), r=3)


_DRAW: dict[PhenomenonType, Callable[[_Pen], None]] = {
    PhenomenonType.RESIDENTIAL_BURGLARY: _residential_burglary,
    PhenomenonType.BUSINESS_BURGLARY: _business_burglary,
    PhenomenonType.VEHICLE_THEFT: _vehicle_theft,
    PhenomenonType.THEFT_FROM_VEHICLE: _theft_from_vehicle,
    PhenomenonType.PICKPOCKETING: _pickpocketing,
    PhenomenonType.PHONE_SCAM: _phone_scam,
    PhenomenonType.DOORSTEP_SCAM: _doorstep_scam,
    PhenomenonType.PHISHING: _phishing,
    PhenomenonType.DRUG_DEALING: _drug_dealing,
    PhenomenonType.VANDALISM: _vandalism,
    PhenomenonType.ARSON: _arson,
    PhenomenonType.AGGRESSION: _aggression,
    PhenomenonType.SUSPICIOUS_VEHICLE: _suspicious_vehicle,
    PhenomenonType.SUSPICIOUS_PERSON: _suspicious_person,
    PhenomenonType.OTHER: _other,
}


def pictogram(kind: PhenomenonType, size: int, disc: tuple[int, int, int]) -> Image.Image:
    """The type's pictogram, ``size`` pixels square, white on a disc of colour ``disc``."""
    big = size * _SCALE
    art = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    _DRAW[kind](_Pen(ImageDraw.Draw(art), big, WHITE))
    icon = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    ImageDraw.Draw(icon).ellipse((0, 0, big - 1, big - 1), fill=(*disc, 255))
    # the art sits on the disc at 70%, centred; its transparent holes show the disc
    inner = round(big * 0.7)
    offset = (big - inner) // 2
    icon.alpha_composite(art.resize((inner, inner), Image.Resampling.LANCZOS), (offset, offset))
    return icon.resize((size, size), Image.Resampling.LANCZOS)
