"""Desktop hooks for ``openchair breaks``: notifications, idle time and do-not-disturb.

Each is best-effort and optional: without the tool the helper prints in the terminal, counts no
idle time and never holds a break for do-not-disturb.
"""

from __future__ import annotations

import shutil
import subprocess


def notify(title: str, body: str) -> bool:
    """Show a desktop notification through the notification service; False when none is there."""
    exe = shutil.which("notify-send")
    if exe is None:
        return False
    try:
        subprocess.run([exe, "--app-name=openchair", title, body], check=True, timeout=5)
    except (OSError, subprocess.SubprocessError):
        return False
    return True


def idle_seconds() -> float:
    """Seconds since the last keyboard or mouse input (X11 ``xprintidle``), else 0."""
    exe = shutil.which("xprintidle")
    if exe is None:
        return 0.0
    try:
        out = subprocess.run([exe], capture_output=True, text=True, timeout=2, check=True)
        return int(out.stdout.strip()) / 1000.0
    except (OSError, subprocess.SubprocessError, ValueError):
        return 0.0


def do_not_disturb() -> bool:
    """GNOME's do-not-disturb (notification banners off), else False."""
    exe = shutil.which("gsettings")
    if exe is None:
        return False
    try:
        out = subprocess.run(
            [exe, "get", "org.gnome.desktop.notifications", "show-banners"],
            capture_output=True,
            text=True,
            timeout=2,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return False
    return out.stdout.strip() == "false"
