"""``openchair body``: a seated body's landmarks, regions, comfortable depth and tight spots."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from openchair.body.landmarks import LANDMARKS, REGION_NAMES
from openchair.body.model import Body, BodyParams, BodyParamsError, make_body
from openchair.cli.options import seed_option

DEFAULT_PERCENTILE = 50.0
DEFAULT_SEX = "male"


def body_from_options(
    stature: float | None,
    mass: float | None,
    sex: str | None,
    percentile: float | None,
    lordosis: float,
    kyphosis: float,
    softness: float,
    seed: int,
) -> Body:
    """Build the body the options describe; raise ``typer.BadParameter`` with a clear message."""
    if percentile is not None and (stature is not None or mass is not None):
        raise typer.BadParameter("give either --percentile or --stature/--mass, not both")
    chosen_sex = sex or DEFAULT_SEX
    try:
        if stature is None and mass is None:
            base = BodyParams.from_percentile(
                DEFAULT_PERCENTILE if percentile is None else percentile,
                chosen_sex,  # type: ignore[arg-type]
                seed=seed,
            )
        elif stature is None or mass is None:
            raise typer.BadParameter("--stature and --mass go together")
        else:
            base = BodyParams(stature_mm=stature, mass_kg=mass, sex=chosen_sex, seed=seed)  # type: ignore[arg-type]
        params = BodyParams(
            stature_mm=base.stature_mm,
            mass_kg=base.mass_kg,
            sex=base.sex,
            lordosis=lordosis,
            kyphosis=kyphosis,
            tissue_softness=softness,
            seed=seed,
        )
        return make_body(params)
    except BodyParamsError as err:
        raise typer.BadParameter(str(err)) from None


def body_to_dict(body: Body) -> dict[str, object]:
    m = body.to_map()
    p = body.params
    return {
        "params": {
            "stature_mm": p.stature_mm,
            "mass_kg": p.mass_kg,
            "sex": p.sex,
            "lordosis": p.lordosis,
            "kyphosis": p.kyphosis,
            "tissue_softness": p.tissue_softness,
            "seed": p.seed,
            "measures": dict(p.measures),
        },
        "landmarks_y_mm": {n: body.landmarks_y_mm[n] for n in LANDMARKS},
        "regions": {
            r: {
                "from_y_mm": round(body.region_bounds_mm(r)[0], 1),
                "to_y_mm": round(body.region_bounds_mm(r)[1], 1),
                "comfortable_depth_mm": m.comfortable_depth_mm[r],
                "comfort_force_n": round(m.comfort_force_n[r], 1),
                "pain_threshold_n": body.region_ppt_n[r],
            }
            for r in REGION_NAMES
        },
        "tight_spots": [
            {
                "y_mm": s.y_mm,
                "side": s.side,
                "stiffness_factor": s.stiffness_factor,
                "radius_mm": s.radius_mm,
            }
            for s in body.tight_spots
        ],
    }


def _print_tables(body: Body, console: Console) -> None:
    data = body_to_dict(body)
    p = body.params
    console.print(
        f"[bold]{p.sex}, {p.stature_mm:g} mm, {p.mass_kg:g} kg[/] — lordosis {p.lordosis:g}, "
        f"kyphosis {p.kyphosis:g}, tissue softness {p.tissue_softness:g}, seed {p.seed}"
    )
    lm = Table(title="Landmarks (y along the track, 0 = seat crease)")
    lm.add_column("landmark")
    lm.add_column("y mm", justify="right")
    for name in sorted(LANDMARKS, key=lambda n: body.landmarks_y_mm[n], reverse=True):
        lm.add_row(name, f"{body.landmarks_y_mm[name]:.0f}")
    console.print(lm)
    rt = Table(title="Regions")
    for col in ("region", "from mm", "to mm", "comfortable depth mm", "comfort force N"):
        rt.add_column(col, justify="left" if col == "region" else "right")
    regions = data["regions"]
    assert isinstance(regions, dict)
    for r in reversed(REGION_NAMES):
        v = regions[r]
        rt.add_row(
            r,
            f"{v['from_y_mm']:.0f}",
            f"{v['to_y_mm']:.0f}",
            f"{v['comfortable_depth_mm']:.0f}",
            f"{v['comfort_force_n']:.0f}",
        )
    console.print(rt)
    spots = ", ".join(
        f"{s.y_mm:.0f} mm ({s.side}, ×{s.stiffness_factor:g})" for s in body.tight_spots
    )
    console.print(f"Tight spots: {spots or 'none'}")


def _print_comparison(console: Console, as_json: bool) -> None:
    from openchair.body.compare import compare, fill_in_spread

    rows = compare()
    spread = fill_in_spread()
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "landmarks": [
                        {
                            "sex": r.sex,
                            "what": r.what,
                            "survey": vars(r.survey),
                            "model": vars(r.model),
                        }
                        for r in rows
                    ],
                    "fill_in_sd_mm": [
                        {"sex": sex, "given": list(given), "sd_mm": sds}
                        for sex, given, sds in spread
                    ],
                },
                indent=2,
            )
        )
        return
    table = Table(title="Seated landmarks, mm above the seat (mass in kg)")
    for col in ("sex", "landmark", "source", "n", "mean", "SD", "P5", "P50", "P95"):
        table.add_column(col, justify="left" if col in ("sex", "landmark", "source") else "right")
    for r in rows:
        for source, s in (("survey", r.survey), ("model", r.model)):
            table.add_row(
                r.sex if source == "survey" else "",
                r.what if source == "survey" else "",
                source,
                str(s.n),
                *(f"{v:.0f}" for v in (s.mean, s.sd, s.p5, s.p50, s.p95)),
                end_section=source == "model",
            )
    console.print(table)
    fill = Table(title="Fill-in: SD (mm) left in a seated landmark, given only…")
    for col in ("sex", "given", "shoulder", "C7", "L4"):
        fill.add_column(col, justify="left" if col in ("sex", "given") else "right")
    for sex, given, sds in spread:
        fill.add_row(
            sex, ", ".join(given) or "nothing", *(f"{sds[k]:.0f}" for k in ("shoulder", "C7", "L4"))
        )
    console.print(fill)
    console.print(
        "survey: ANSUR II persons shipped with openchair; model: stature-scaled bodies of the "
        "parametric sampler (seed 0), L4 standing in for the iliac crest"
    )


def register(app: typer.Typer) -> None:
    @app.command("body")
    def body_command(
        stature: Annotated[float | None, typer.Option(help="Stature in mm (with --mass).")] = None,
        mass: Annotated[
            float | None, typer.Option(help="Body mass in kg (with --stature).")
        ] = None,
        sex: Annotated[str | None, typer.Option(help="female or male (default male).")] = None,
        percentile: Annotated[
            float | None, typer.Option(help="Size percentile 0.5..99.5 of the survey.")
        ] = None,
        lordosis: Annotated[float, typer.Option(help="Lumbar curve multiplier.")] = 1.0,
        kyphosis: Annotated[float, typer.Option(help="Thoracic curve multiplier.")] = 1.0,
        softness: Annotated[float, typer.Option(help="Tissue softness multiplier.")] = 1.0,
        seed: Annotated[int, seed_option("Seed for tight spots and variation.")] = 0,
        as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
        body_spec: Annotated[
            str | None,
            typer.Option(
                "--body",
                help="A person as run and verify take it, e.g. a measured person: "
                "sex=female,stature=1560,sittingheight=803,acromialheight=1282",
            ),
        ] = None,
        compare_survey: Annotated[
            bool,
            typer.Option(
                "--compare-survey",
                help="Print the model's seated landmarks against the survey's measured persons.",
            ),
        ] = False,
    ) -> None:
        """Print a seated body's landmarks, regions and tight spots (default: median man)."""
        if compare_survey:
            _print_comparison(Console(), as_json)
            return
        if body_spec is not None:
            from openchair.cli.body_spec import parse_body

            body = make_body(parse_body(body_spec))
        else:
            body = body_from_options(
                stature, mass, sex, percentile, lordosis, kyphosis, softness, seed
            )
        if as_json:
            typer.echo(json.dumps(body_to_dict(body), indent=2))
        else:
            _print_tables(body, Console())
