"""``openchair posture calibrate|watch``: the webcam posture monitor from the terminal.

The camera and the pose model run in a separate worker process; this command reads only its
landmark numbers, and its preview draws the skeleton and the measures, never the image.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console, Group
from rich.live import Live
from rich.panel import Panel
from rich.text import Text

from openchair.care.nudges import NudgeChannel, NudgeGate
from openchair.posture.calibration import (
    CalibrationError,
    CalibrationFileError,
    calibrate,
    calibration_path,
    load_calibration,
    save_calibration,
)
from openchair.posture.client import WorkerError, WorkerProcess, worker_command
from openchair.posture.config import PostureConfig
from openchair.posture.events import PostureEvent, PostureEventKind
from openchair.posture.landmarks import PoseFrame
from openchair.posture.metrics import ViewMode
from openchair.posture.monitor import PostureMonitor
from openchair.posture.preview import braille_skeleton, render_view
from openchair.web.posture_push import (
    TOKEN_ENV,
    PushError,
    push_days,
    push_nudge,
    push_presence,
)

posture_app = typer.Typer(
    help="The webcam posture monitor: calibrate your upright posture, then watch it.",
    no_args_is_help=True,
)

CameraOpt = Annotated[int | None, typer.Option("--camera", min=0, help="Camera index (default 0).")]
VideoOpt = Annotated[
    Path | None, typer.Option("--video", help="Read a video file instead of a camera.")
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON lines instead of the view.")]
ModeOpt = Annotated[
    ViewMode,
    typer.Option("--mode", help="frontal: camera in front (laptop); side: camera beside you."),
]
FpsOpt = Annotated[float, typer.Option("--fps", min=0.5, max=60, help="Frames analysed per s.")]


def _fail(message: str, as_json: bool) -> typer.Exit:
    if as_json:
        print(json.dumps({"error": message}))
    else:
        Console(stderr=True).print(f"[bold red]error:[/] {message}")
    return typer.Exit(1)


def _source(camera: int | None, video: Path | None, as_json: bool) -> dict[str, Any]:
    if camera is not None and video is not None:
        raise _fail("give either --camera or --video, not both", as_json)
    if video is not None and not video.is_file():
        raise _fail(f"no video file at {video}", as_json)
    return {"camera": camera, "video": video}


def _dev_json(state: Any) -> dict[str, Any] | None:
    d = state.smoothed
    if d is None:
        return None
    return {k: round(v, 4) for k, v in d.__dict__.items()}


def _calibration_view(frame: PoseFrame, left_s: float) -> Panel:
    """What the camera sees of the person (skeleton only) while they hold still."""
    status = (
        f"[green]in view[/]: hold still, {max(left_s, 0):.0f} s"
        if frame.person
        else "[yellow]nobody in view[/]: sit in front of the camera"
    )
    return Panel(
        Group(Text("\n".join(braille_skeleton(frame)), style="cyan"), Text.from_markup(status)),
        title="calibrating",
        width=40,
    )


def _desktop_channel(as_json: bool) -> NudgeChannel | None:
    """Nudges through the break reminders' desktop notification, under the break rules from the
    care settings; without readable settings the nudges stay in this view only (said once)."""
    from openchair.care import desktop
    from openchair.care.settings import SettingsError, load_settings

    try:
        settings = load_settings()
    except SettingsError as err:
        if not as_json:
            Console(stderr=True).print(f"nudges shown here only: {err.messages[0]}")
        return None
    return NudgeChannel(NudgeGate(lambda: settings, desktop.do_not_disturb), desktop.notify)


def _deliver(
    events: list[PostureEvent],
    channel: NudgeChannel | None,
    send_to: str | None,
    token: str,
    person: str | None,
    as_json: bool,
) -> dict[int, dict[str, Any]]:
    """Each nudge to the desktop and, with ``--send-to``, to the chair's page; per event what
    became of it (for the JSON lines). A chair that cannot be reached costs a warning, not the
    watch."""
    out: dict[int, dict[str, Any]] = {}
    for e in events:
        if e.kind is not PostureEventKind.NUDGE:
            if send_to is not None and person:  # away time counts toward the chair's breaks
                try:
                    push_presence(send_to, token, person, e)
                except PushError as err:
                    out[id(e)] = {"chair": f"not sent: {err}"}
                    if not as_json:
                        Console(stderr=True).print(f"presence not sent to the chair: {err}")
            continue
        info: dict[str, Any] = {}
        if channel is not None:
            info["desktop"] = "shown" if channel.handle(e) is not None else channel.held[-1][1]
        if send_to is not None and person:
            try:
                answer = push_nudge(send_to, token, person, e)
                info["chair"] = "shown" if answer.get("shown") else answer.get("held", "held")
            except PushError as err:
                info["chair"] = f"not sent: {err}"
                if not as_json:
                    Console(stderr=True).print(f"nudge not sent to the chair: {err}")
        out[id(e)] = info
    return out


def register(app: typer.Typer) -> None:
    app.add_typer(posture_app, name="posture")


@posture_app.command("calibrate")
def calibrate_command(
    camera: CameraOpt = None,
    video: VideoOpt = None,
    as_json: JsonOpt = False,
    mode: ModeOpt = ViewMode.FRONTAL,
    seconds: Annotated[
        float, typer.Option("--seconds", min=1, max=60, help="How long to sit still.")
    ] = 5.0,
    fps: FpsOpt = 10.0,
) -> None:
    """Sit upright and still for a few seconds: this becomes your personal baseline."""
    src = _source(camera, video, as_json)
    console = Console()
    if not as_json:
        console.print(f"Sit upright and still, looking at the screen, for {seconds:.0f} s…")
    frames: list[PoseFrame] = []
    live = None if as_json else Live(console=console, refresh_per_second=8)
    try:
        with WorkerProcess(worker_command(fps=fps, **src)) as worker:
            if live is not None:
                live.start()
            for frame in worker.frames():
                frames.append(frame)
                left = seconds - (frame.t_s - frames[0].t_s)
                if live is not None:
                    live.update(_calibration_view(frame, left))
                if left <= 0:
                    break
        cal = calibrate(frames, mode)
    except (WorkerError, CalibrationError) as err:
        raise _fail(f"calibration failed: {err}", as_json) from None
    finally:
        if live is not None:
            live.stop()
            console.print()
    path = calibration_path(mode)
    try:
        save_calibration(cal, path)
    except OSError as err:
        raise _fail(f"cannot save the calibration to {path}: {err}", as_json) from None
    if as_json:
        print(json.dumps({"saved": str(path), **cal.to_dict()}))
        return
    console.print(
        f"[green]Calibrated[/] from {cal.frames} frames over {cal.duration_s:.1f} s; "
        f"saved to {path}"
    )


@posture_app.command("watch")
def watch_command(
    camera: CameraOpt = None,
    video: VideoOpt = None,
    as_json: JsonOpt = False,
    mode: ModeOpt = ViewMode.FRONTAL,
    nudge_after: Annotated[
        float, typer.Option("--nudge-after", min=1, help="Seconds of slouching before a nudge.")
    ] = PostureConfig.nudge_after_s,
    duration: Annotated[
        float | None, typer.Option("--duration", min=1, help="Stop after this many seconds.")
    ] = None,
    fps: FpsOpt = 10.0,
    send_to: Annotated[
        str | None,
        typer.Option(
            "--send-to",
            help="Send nudges and comings and goings to the chair at this address as they "
            "happen, and at the end add the day's numbers to its posture page (e.g. "
            "http://127.0.0.1:8580; token in $OPENCHAIR_TOKEN). Numbers only.",
        ),
    ] = None,
    person: Annotated[
        str | None, typer.Option("--person", help="Whose numbers these are (with --send-to).")
    ] = None,
    notify: Annotated[
        bool,
        typer.Option(
            "--notify/--no-notify",
            help="Show nudges as desktop notifications, like break reminders (under the "
            "break rules: working hours, do-not-disturb, at most one per nudge_gap_minutes).",
        ),
    ] = True,
) -> None:
    """Watch your posture against your calibration; nudge after sustained slouching."""
    if send_to is not None and not person:
        raise _fail("--send-to needs --person NAME (whose posture page)", as_json)
    src = _source(camera, video, as_json)
    desktop_nudges = _desktop_channel(as_json) if notify else None
    token = os.environ.get(TOKEN_ENV, "")
    try:
        cal = load_calibration(calibration_path(mode))
    except CalibrationFileError as err:
        raise _fail(str(err), as_json) from None
    monitor = PostureMonitor(cal, PostureConfig().with_overrides(nudge_after_s=nudge_after))
    console = Console(width=80) if not sys.stdout.isatty() else Console()
    events: list[PostureEvent] = []
    t0: float | None = None
    failure: str | None = None
    live = None if as_json else Live(console=console, refresh_per_second=8, transient=False)
    try:
        with WorkerProcess(worker_command(fps=fps, **src)) as worker:
            if live is not None:
                live.start()
            for frame in worker.frames():
                t0 = frame.t_s if t0 is None else t0
                new = monitor.observe(frame)
                events += new
                shown = _deliver(new, desktop_nudges, send_to, token, person, as_json)
                if as_json:
                    st = monitor.state
                    print(
                        json.dumps(
                            {
                                "type": "state",
                                "t": frame.t_s,
                                "present": st.present,
                                "deviation": _dev_json(st),
                                "reasons": [r.value for r in st.reasons],
                            }
                        )
                    )
                    for e in new:
                        extra = shown.get(id(e), {})
                        print(json.dumps({"type": "event", **e.to_dict(), **extra}))
                elif live is not None:
                    live.update(render_view(frame, monitor.state, events, "posture", t0))
                if duration is not None and frame.t_s - t0 >= duration:
                    break
    except WorkerError as err:
        failure = str(err)
    except KeyboardInterrupt:
        pass
    finally:
        if live is not None:
            live.stop()
    # What was watched until a failure still counts: the summary comes first, then the error.
    summaries = monitor.summaries()
    if as_json:
        print(json.dumps({"type": "summary", "days": [s.to_dict() for s in summaries]}))
    elif summaries:
        console.print()
        for s in summaries:
            console.print(
                f"{s.date}: sitting {s.sitting_s / 60:.1f} min, slouched {s.slouched_min:.1f} "
                f"min, away {s.away_s / 60:.1f} min, {s.nudges} nudge(s), "
                f"longest sitting streak {s.longest_streak_s / 60:.1f} min"
            )
    if send_to is not None and person and summaries:
        try:
            sent = push_days(send_to, token, person, summaries)
        except PushError as err:
            failure = failure or f"not sent: {err}"
        else:
            if not as_json:
                console.print(f"sent to {send_to} for {person}: {', '.join(sent)}")
    if failure is not None:
        raise _fail(failure, as_json)
