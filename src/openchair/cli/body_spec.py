"""``--body`` option values: ``percentile=5,sex=female`` or ``stature=1620,mass=60,sex=female``.

Also takes ``lordosis``, ``kyphosis``, ``softness`` and ``seed``, so a body printed by a run or by
verification (``BodyParams.describe()``) can be passed back to replay it.
"""

from __future__ import annotations

import typer

from openchair.body.model import BodyParams, BodyParamsError, check_fits_track
from openchair.inputs.limits import SEED_MAX

_KEYS = {"percentile", "stature", "mass", "sex", "lordosis", "kyphosis", "softness", "seed"}


def parse_body(spec: str | None) -> BodyParams:
    """Parse a ``--body`` value; raise ``typer.BadParameter`` naming what is wrong."""
    if not spec:
        return BodyParams.from_percentile(50, "male")
    fields: dict[str, str] = {}
    for part in spec.split(","):
        if not part.strip():
            continue
        key, sep, value = part.partition("=")
        key = key.strip()
        if not sep or key not in _KEYS:
            raise typer.BadParameter(
                f"{part!r}: expected key=value with keys {', '.join(sorted(_KEYS))}",
                param_hint="--body",
            )
        fields[key] = value.strip()
    try:
        sex = fields.get("sex", "male")
        seed = int(fields.get("seed", "0"))
        if not 0 <= seed <= SEED_MAX:
            raise typer.BadParameter(f"seed: {seed} is outside 0..{SEED_MAX}", param_hint="--body")
        if "percentile" in fields:
            if "stature" in fields or "mass" in fields:
                raise typer.BadParameter(
                    "give either percentile or stature and mass", param_hint="--body"
                )
            base = BodyParams.from_percentile(float(fields["percentile"]), sex, seed)  # type: ignore[arg-type]
        elif "stature" in fields and "mass" in fields:
            base = BodyParams(
                stature_mm=float(fields["stature"]),
                mass_kg=float(fields["mass"]),
                sex=sex,  # type: ignore[arg-type]
                seed=seed,
            )
        elif "stature" in fields or "mass" in fields:
            raise typer.BadParameter("stature and mass go together", param_hint="--body")
        else:
            base = BodyParams.from_percentile(50, sex, seed)  # type: ignore[arg-type]
        params = BodyParams(
            stature_mm=base.stature_mm,
            mass_kg=base.mass_kg,
            sex=base.sex,
            lordosis=float(fields.get("lordosis", "1")),
            kyphosis=float(fields.get("kyphosis", "1")),
            tissue_softness=float(fields.get("softness", "1")),
            seed=seed,
        )
        check_fits_track(params)
        return params
    except (BodyParamsError, ValueError) as err:
        if isinstance(err, typer.BadParameter):
            raise
        raise typer.BadParameter(str(err), param_hint="--body") from None
