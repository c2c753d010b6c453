"""Some chairs of a batched object, as a batch of their own: for the twin and the supervisor.

Verification runs several programs on one batch (one group of chairs per program, every group on
copies of the same scanned bodies), and lets a group's chairs leave the batch once its program is
over, so that they stop costing. That needs the twin of a chunk repeated once per group, and the
twin and the supervisor without the chairs that left, in whatever state they are.

Both keep their state as arrays with a batch axis (and per-chair lists, and a few numbers that sum
the batch up, such as "no air anywhere"). Rather than a method on each that must follow every
change of their internals, :func:`rebatch` fills a freshly built object for the new batch with the
old one's state, attribute by attribute: where the fresh object's array differs from the old one
in exactly its batch axis, the rows are taken; where it has the same shape, the array does not
depend on the batch and is copied; numbers and flags are copied as they are (a flag that sums up
the old batch holds for any part of it, or only makes the new batch do work that changes
nothing), except the batch size itself and arrays of chair numbers (``arange``), which are
the fresh object's. Anything it cannot place raises :class:`RebatchError`, and the caller keeps
the batch as it was: that is slower, never different.
"""

from __future__ import annotations

import collections
import copy
import enum
import types
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt

T = TypeVar("T")
IntArray = npt.NDArray[np.intp]

_ATOMS = (int, float, complex, bool, str, bytes, type(None), np.generic, enum.Enum, range)
_SHARED = (
    types.FunctionType,
    types.BuiltinFunctionType,
    types.ModuleType,
    type,
)


class RebatchError(TypeError):
    """An attribute whose batch axis cannot be told: the object cannot be re-batched."""


class _Missing:
    """The fresh object has no such attribute (state made on the way, e.g. per rule)."""


_MISSING = _Missing()


def rebatch(src: T, fresh: T, rows: IntArray, batch_size: int) -> T:
    """``fresh`` (built for ``len(rows)`` chairs) holding the state of ``src``'s chairs ``rows``
    (``src`` holds ``batch_size`` chairs; ``rows`` may repeat a chair). ``src`` is unchanged."""
    rows = np.asarray(rows, dtype=np.intp)
    if rows.size == batch_size:
        raise ValueError("rebatch: the new batch must differ in size from the old one")
    return _Filler(rows, batch_size).fill(src, fresh, "")  # type: ignore[no-any-return]


class _Filler:
    def __init__(self, rows: IntArray, n: int) -> None:
        self.rows = rows
        self.n = n
        self.m = int(rows.size)
        self.memo: dict[int, Any] = {}

    def fill(self, src: Any, dst: Any, where: str) -> Any:
        if isinstance(src, (*_ATOMS, *_SHARED)):
            if _is_int(src) and _is_int(dst) and src == self.n and dst == self.m:
                return dst  # the batch size
            return src
        if src is dst:
            return dst
        key = id(src)
        if key in self.memo:
            return self.memo[key]
        if isinstance(src, np.ndarray):
            out: Any = self._array(src, dst, where)
        elif isinstance(src, (set, frozenset)) and all(isinstance(v, str) for v in src):
            # A set of names sums the old batch up (e.g. "rules that acted on some chair"): it
            # holds for any part of it, or only makes the new batch do work that changes
            # nothing. (A set of numbers could be chair numbers: refused below.)
            out = set(src) if type(src) is set else src
        elif isinstance(src, list) and type(src) is not list:
            # A list with a meaning of its own (the supervisor's event log: numbered from the
            # first event ever, bounded): a record of the past, kept whole.
            out = copy.deepcopy(src)
        elif isinstance(src, (list, tuple, collections.deque)):
            out = self._sequence(src, dst, where)
        elif isinstance(src, dict):
            out = {k: self.fill(v, _get(dst, k), f"{where}[{k!r}]") for k, v in src.items()}
        elif isinstance(src, types.MethodType):
            raise RebatchError(f"{where}: a bound method cannot be re-batched")
        elif hasattr(src, "__dict__") and not hasattr(type(src), "__slots__"):
            out = self._object(src, dst, where)
        else:
            raise RebatchError(f"{where}: cannot re-batch a {type(src).__name__}")
        self.memo[key] = out
        return out

    def _array(self, src: npt.NDArray[Any], dst: Any, where: str) -> npt.NDArray[Any]:
        if isinstance(dst, np.ndarray):
            if dst.shape == src.shape:
                axis = None
            else:
                differ = [
                    i for i, (a, b) in enumerate(zip(src.shape, dst.shape, strict=False)) if a != b
                ]
                if (
                    src.ndim != dst.ndim
                    or len(differ) != 1
                    or src.shape[differ[0]] != self.n
                    or dst.shape[differ[0]] != self.m
                ):
                    raise RebatchError(f"{where}: shape {src.shape} against {dst.shape}")
                axis = differ[0]
        else:
            # Made on the way (no fresh one to compare with): the batch axis comes first.
            axis = 0 if src.ndim and src.shape[0] == self.n else None
        if axis is None:
            return src if not src.flags.writeable else src.copy(order="K")
        if isinstance(dst, np.ndarray) and _positions(src) and _positions(dst):
            return dst  # chair numbers (0, 1, 2, … or a multiple): the new batch's own
        out = np.take(src, self.rows, axis=axis)
        if src.ndim > 1 and src.flags.f_contiguous and not src.flags.c_contiguous:
            out = np.asfortranarray(out)
        out.flags.writeable = bool(src.flags.writeable)
        return out

    def _sequence(
        self, src: list[Any] | tuple[Any, ...] | collections.deque[Any], dst: Any, where: str
    ) -> Any:
        # Without a fresh one to compare with, only a list can be per chair (a tuple is a record).
        per_chair = len(src) == self.n and (
            (isinstance(dst, _Missing) and type(src) is list)
            or (isinstance(dst, type(src)) and len(dst) == self.m)
        )
        if per_chair:
            items = [src[int(i)] for i in self.rows]
            for item in items:
                if not isinstance(item, _ATOMS) and not _immutable(item):
                    raise RebatchError(f"{where}: a per-chair {type(item).__name__} is mutable")
        else:
            same = isinstance(dst, type(src)) and len(dst) == len(src)
            items = [
                self.fill(v, dst[i] if same else _MISSING, f"{where}[{i}]")
                for i, v in enumerate(src)
            ]
        if type(src) is list:
            return items
        if isinstance(src, collections.deque):
            return collections.deque(items, maxlen=src.maxlen)
        if type(src) is tuple:
            return tuple(items)
        return type(src)(*items)  # a named tuple

    def _object(self, src: Any, dst: Any, where: str) -> Any:
        if _own_state(src):
            # An object that says how it is copied (e.g. the twin, whose named arrays are views
            # of its state blocks): its own state is re-batched and handed back to it, so it
            # rebuilds what it derives from that state.
            theirs_state = dst.__getstate__() if type(dst) is type(src) else {}
            state = {
                name: self.fill(value, theirs_state.get(name, _MISSING), f"{where}.{name}")
                for name, value in src.__getstate__().items()
            }
            cls: type[Any] = type(src)
            out = object.__new__(cls)
            self.memo[id(src)] = out
            out.__setstate__(state)
            return out
        if isinstance(dst, _Missing) or type(dst) is not type(src):
            dst = copy.copy(src)
        self.memo[id(src)] = dst  # before the attributes: they may point back at it
        theirs = vars(dst)
        for name, value in list(vars(src).items()):
            new = self.fill(value, theirs.get(name, _MISSING), f"{where}.{name}")
            object.__setattr__(dst, name, new)
        return dst


def _own_state(obj: Any) -> bool:
    """Whether ``obj``'s class defines its own ``__getstate__`` and ``__setstate__``."""
    cls = type(obj)
    return any("__setstate__" in vars(k) for k in cls.__mro__[:-1]) and any(
        "__getstate__" in vars(k) for k in cls.__mro__[:-1]
    )


def _get(dst: Any, key: Any) -> Any:
    return dst.get(key, _MISSING) if isinstance(dst, dict) else _MISSING


def _immutable(item: Any) -> bool:
    """Per-chair items shared between the old and the new batch: frozen dataclasses only."""
    params = getattr(type(item), "__dataclass_params__", None)
    return bool(params is not None and params.frozen)


def _is_int(x: Any) -> bool:
    return isinstance(x, (int, np.integer)) and not isinstance(x, (bool, np.bool_))


def _positions(a: npt.NDArray[Any]) -> bool:
    """A 1-D integer array of chair numbers times a constant: 0, k, 2k, … (row starts)."""
    if a.ndim != 1 or a.dtype.kind not in "iu" or a.size < 2 or a[0] != 0:
        return False
    return bool(np.array_equal(a, np.arange(a.size) * a[1]))
