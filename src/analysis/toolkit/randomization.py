"""Computer-generated allocation lists: permuted blocks, stratification, concealment.

The paper allocated patients 1:1 "according to a computer-generated
randomization list", each patient receiving "a unique randomization code".
The list itself is not public. This module generates lists of that kind the
way a trial statistician would, and keeps the record that makes a list
auditable:

- :func:`allocation_list` draws a permuted-block list (fixed or random block
  sizes from a documented set, optional stratification, any allocation ratio).
- :func:`generate_allocation` adds what allocation concealment needs: a unique
  sealed-envelope code per position, the seed and the generator state the list
  was drawn from, a SHA-256 fingerprint of the list, and who/when metadata
  (:class:`ConcealmentRecord`). :meth:`AllocationList.to_csv` writes the list
  and its record; :func:`verify_allocation` re-derives the list from the
  record and checks the fingerprint.
- :func:`assign_arms` hands out the next unused position of a patient's
  stratum, as the randomization office would.
- :func:`allocation_balance`, :func:`guessing_predictability` and
  :func:`plot_imbalance` describe a list: arm sizes over time, and how
  predictable the next allocation is to a recruiter who knows the rule.
- :func:`chance_significance` states what randomization implies for the
  significance tests of a baseline table.

Permuted blocks are simple enough that no library is needed; R's
``blockrand`` package (``blockrand(n, num.levels = 2, block.sizes = 1:3)``)
generates the same kind of list (its ``block.sizes`` are in units of the
number of arms).

References
----------
Rosenberger WF, Lachin JM. *Randomization in Clinical Trials: Theory and
Practice*. 2nd ed. Wiley; 2016 (chapter 3, restricted randomization;
chapter 5, selection bias).

Schulz KF, Grimes DA. Allocation concealment in randomised trials: defending
against deciphering. *Lancet* 2002;359:614-618.

Moher D, Hopewell S, Schulz KF, et al. CONSORT 2010 explanation and
elaboration. *BMJ* 2010;340:c869 (items 8-10 and 15).
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from .conventions import validate_alpha
from .schema import ARMS

__all__ = [
    "CODE_ALPHABET",
    "allocation_list",
    "simple_allocation_list",
    "assign_arms",
    "allocation_balance",
    "guessing_predictability",
    "expected_predictability",
    "ConcealmentRecord",
    "AllocationList",
    "generate_allocation",
    "reproduce_allocation",
    "verify_allocation",
    "ChanceSignificance",
    "chance_significance",
]

#: Characters of the sealed-envelope codes: digits and capitals without the
#: look-alikes 0/O, 1/I/L, so that a code read aloud or copied by hand is unambiguous.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"

_LIST_COLUMNS = ("stratum", "sequence", "block", "block_size", "arm")


# ----------------------------------------------------------------------------
# Argument checks
# ----------------------------------------------------------------------------
def _check_int(name: str, value: Any, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def _check_design(
    block_sizes: Sequence[int],
    block_probs: Sequence[float] | None,
    arms: Sequence[str],
    ratio: Sequence[int],
) -> tuple[tuple[int, ...], tuple[float, ...] | None, tuple[str, ...], tuple[int, ...]]:
    arms = tuple(str(a) for a in arms)
    if len(arms) < 2 or len(set(arms)) != len(arms) or any(not a for a in arms):
        raise ValueError(f"arms must be at least two distinct non-empty names, got {arms!r}")
    ratio = tuple(_check_int("ratio", r) for r in ratio)
    if len(ratio) != len(arms):
        raise ValueError(f"ratio must have one entry per arm ({len(arms)}), got {ratio!r}")
    if isinstance(block_sizes, (int, np.integer)):
        block_sizes = (int(block_sizes),)
    sizes = tuple(_check_int("block_sizes", b) for b in block_sizes)
    if not sizes:
        raise ValueError("block_sizes must name at least one block size")
    if len(set(sizes)) != len(sizes):
        raise ValueError(f"block_sizes must not repeat a size, got {sizes!r}")
    unit = sum(ratio)
    bad = [b for b in sizes if b % unit]
    if bad:
        raise ValueError(
            f"block_sizes must be multiples of the ratio total {unit} (ratio {ratio!r}); {bad} is not"
        )
    probs = None
    if block_probs is not None:
        probs = tuple(float(p) for p in block_probs)
        if len(probs) != len(sizes):
            raise ValueError(f"block_probs must have one probability per block size ({len(sizes)}), got {probs!r}")
        if any(p < 0 for p in probs) or not math.isclose(sum(probs), 1.0, abs_tol=1e-9):
            raise ValueError(f"block_probs must be non-negative and sum to 1, got {probs!r}")
    return sizes, probs, arms, ratio


def _check_strata(strata: Iterable[str] | None) -> tuple[str, ...] | None:
    if strata is None:
        return None
    if isinstance(strata, str):
        raise ValueError(f"strata must be a sequence of stratum labels, not the single string {strata!r}")
    labels = tuple(str(s) for s in strata)
    if not labels or len(set(labels)) != len(labels) or any(not s for s in labels):
        raise ValueError(f"strata must be distinct non-empty labels, got {labels!r}")
    return labels


def _check_rng(rng: Any) -> np.random.Generator:
    if not isinstance(rng, np.random.Generator):
        raise TypeError(
            f"rng must be a numpy Generator (np.random.default_rng(seed)), got {type(rng).__name__}"
        )
    return rng


# ----------------------------------------------------------------------------
# Lists
# ----------------------------------------------------------------------------
def _one_list(
    n: int,
    sizes: tuple[int, ...],
    probs: tuple[float, ...] | None,
    arms: tuple[str, ...],
    ratio: tuple[int, ...],
    rng: np.random.Generator,
) -> pd.DataFrame:
    unit = sum(ratio)
    seq_arm: list[str] = []
    seq_block: list[int] = []
    seq_size: list[int] = []
    block = 0
    while len(seq_arm) < n:
        # One draw for the block size, then one permutation of the block's
        # labels: the order of draws is part of the list's definition.
        size = int(rng.choice(sizes)) if probs is None else int(rng.choice(sizes, p=probs))
        labels = np.repeat(np.asarray(arms), [size // unit * r for r in ratio])
        block += 1
        seq_arm.extend(str(a) for a in rng.permutation(labels))
        seq_block.extend([block] * size)
        seq_size.extend([size] * size)
    return pd.DataFrame(
        {
            "sequence": np.arange(1, n + 1),
            "block": seq_block[:n],
            "block_size": seq_size[:n],
            "arm": seq_arm[:n],
        }
    )


def allocation_list(
    n: int,
    *,
    block_sizes: Sequence[int] = (4,),
    rng: np.random.Generator,
    strata: Sequence[str] | None = None,
    arms: Sequence[str] = ARMS,
    ratio: Sequence[int] = (1, 1),
    block_probs: Sequence[float] | None = None,
) -> pd.DataFrame:
    """A permuted-block allocation list.

    The list is cut into consecutive blocks. Each block holds the arms in the
    allocation ratio (a block of 4 at 1:1 holds two of each) in a random
    order; the size of each block is drawn from ``block_sizes``. Hence every
    complete block is exactly balanced and, at 1:1, the arm sizes never
    differ by more than half the largest block.

    Parameters
    ----------
    n : int
        Positions per list (per stratum when stratified, ``>= 1``). The last block is
        cut at ``n`` if it does not end there.
    block_sizes : sequence of int, default (4,)
        The documented set of block sizes, each a multiple of ``sum(ratio)``.
        With one size, all blocks have it; with several, each block's size is
        drawn at random (independently, with ``block_probs``), which makes
        the end of a block harder for recruiters to anticipate.
    rng : numpy.random.Generator
        The random generator, e.g. ``np.random.default_rng(seed)``. It is
        advanced; the same seed gives the same list.
    strata : sequence of str, optional
        Optional stratum labels (default ``None``: unstratified). Each stratum gets its
        own independent list of ``n`` positions (drawn in the order given), as in
        stratified permuted-block randomization.
    arms : sequence of str, default ARMS
        Arm names, in the order of ``ratio`` (default ``("control", "ucmsc")``).
    ratio : sequence of int, default (1, 1)
        Allocation ratio, e.g. ``(1, 1)`` or ``(2, 1)``.
    block_probs : sequence of float, optional
        Probabilities of the block sizes; default ``None``: equal.

    Returns
    -------
    pandas.DataFrame
        One row per position: ``sequence`` (1..n, within stratum), ``block``
        (1, 2, ... within stratum), ``block_size``, ``arm``; and ``stratum``
        first when ``strata`` is given.

    Raises
    ------
    ValueError
        If ``n``, a block size, the ratio, the arms or the strata break a rule
        (the message names the argument).

    Notes
    -----
    Draw order (part of the definition, so lists stay reproducible): per
    stratum in the order given, per block, one draw of the block size
    (``rng.choice``) then one permutation of the block's labels.

    R equivalent: ``blockrand::blockrand(n, num.levels = 2, levels = arms,
    block.sizes = block_sizes / 2, stratum = ...)`` (same design, a different
    random stream).

    References
    ----------
    Rosenberger WF, Lachin JM. *Randomization in Clinical Trials*, 2nd ed.,
    Wiley 2016, section 3.5 (the permuted block design) and 5.3 (random
    block sizes).
    """
    n = _check_int("n", n)
    sizes, probs, arms, ratio = _check_design(block_sizes, block_probs, arms, ratio)
    labels = _check_strata(strata)
    rng = _check_rng(rng)
    if labels is None:
        return _one_list(n, sizes, probs, arms, ratio, rng)
    parts = []
    for s in labels:
        part = _one_list(n, sizes, probs, arms, ratio, rng)
        part.insert(0, "stratum", s)
        parts.append(part)
    return pd.concat(parts, ignore_index=True)


def simple_allocation_list(
    n: int,
    *,
    rng: np.random.Generator,
    arms: Sequence[str] = ARMS,
    ratio: Sequence[int] = (1, 1),
) -> pd.DataFrame:
    """Simple (complete, unrestricted) randomization: each position an independent draw.

    Shown for contrast with permuted blocks: arm sizes drift like a random walk.

    Parameters
    ----------
    n : int
        Number of positions (``>= 1``).
    rng : numpy.random.Generator
        Random generator; advanced.
    arms : sequence of str, default ARMS
        Arm names (default ``("control", "ucmsc")``).
    ratio : sequence of int, default (1, 1)
        Allocation ratio: the probability of arm i is ``ratio[i] / sum(ratio)``.

    Returns
    -------
    pandas.DataFrame
        Columns ``sequence`` (1..n) and ``arm``.

    References
    ----------
    Rosenberger WF, Lachin JM. *Randomization in Clinical Trials*, 2nd ed.,
    Wiley 2016, section 3.3 (complete randomization).
    """
    n = _check_int("n", n)
    _, _, arms, ratio = _check_design((sum(ratio),), None, arms, ratio)
    rng = _check_rng(rng)
    p = np.asarray(ratio, dtype=float) / sum(ratio)
    draws = rng.choice(len(arms), size=n, p=p)
    return pd.DataFrame({"sequence": np.arange(1, n + 1), "arm": np.asarray(arms)[draws]})


def assign_arms(allocation: pd.DataFrame, strata: Sequence[str] | None = None, *, n: int | None = None) -> pd.DataFrame:
    """Allocate patients in order of enrolment: each takes the next unused position of its stratum.

    Parameters
    ----------
    allocation : pandas.DataFrame
        A list from :func:`allocation_list` (with a ``stratum`` column when
        ``strata`` is given).
    strata : sequence of str, optional
        The stratum of each patient in order of enrolment. ``None`` (default) for an
        unstratified list.
    n : int, optional
        Number of patients when ``strata`` is None (default ``None``: the whole list).

    Returns
    -------
    pandas.DataFrame
        One row per patient in enrolment order: ``patient`` (1..), ``stratum``
        (if stratified), ``sequence`` (the position used) and ``arm``.

    Raises
    ------
    ValueError
        If a stratum is not in the list or its list is exhausted.
    """
    _require_columns(allocation, ("sequence", "arm"), "allocation")
    if strata is None:
        if "stratum" in allocation.columns:
            raise ValueError("strata is required: the allocation list is stratified (it has a 'stratum' column)")
        m = len(allocation) if n is None else _check_int("n", n)
        if m > len(allocation):
            raise ValueError(f"n ({m}) exceeds the {len(allocation)} positions of the allocation list")
        out = allocation.sort_values("sequence").iloc[:m][["sequence", "arm"]].reset_index(drop=True)
        out.insert(0, "patient", np.arange(1, m + 1))
        return out
    if "stratum" not in allocation.columns:
        raise ValueError("strata given, but the allocation list has no 'stratum' column")
    wanted = pd.Series([str(s) for s in strata], name="stratum")
    unknown = sorted(set(wanted) - set(allocation["stratum"]))
    if unknown:
        raise ValueError(f"strata: {unknown} not in the allocation list's strata {sorted(set(allocation['stratum']))}")
    rank = wanted.groupby(wanted).cumcount() + 1  # position used within the stratum
    lst = allocation.set_index(["stratum", "sequence"])["arm"]
    size = allocation.groupby("stratum")["sequence"].max()
    over = rank.to_numpy() > size.reindex(wanted).to_numpy()
    if over.any():
        s = wanted[over].iloc[0]
        raise ValueError(f"strata: the list of stratum {s!r} is exhausted ({int(size[s])} positions)")
    arms = lst.reindex(pd.MultiIndex.from_arrays([wanted, rank])).to_numpy()
    return pd.DataFrame(
        {"patient": np.arange(1, len(wanted) + 1), "stratum": wanted, "sequence": rank.to_numpy(), "arm": arms}
    )


def _require_columns(df: Any, columns: Sequence[str], name: str) -> None:
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"{name} must be a pandas DataFrame, got {type(df).__name__}")
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ValueError(f"{name} must have columns {list(columns)}; missing {missing}")


# ----------------------------------------------------------------------------
# Describing a list
# ----------------------------------------------------------------------------
def allocation_balance(allocation: pd.DataFrame, *, arms: Sequence[str] = ARMS) -> pd.DataFrame:
    """Cumulative arm sizes along the list (within stratum).

    Parameters
    ----------
    allocation : pandas.DataFrame
        A list with ``sequence`` and ``arm`` (and optionally ``stratum``).
    arms : sequence of str, default ARMS
        Arm names (default ``("control", "ucmsc")``); ``difference`` is the last arm
        minus the first.

    Returns
    -------
    pandas.DataFrame
        One row per position: ``stratum`` (if present), ``sequence``,
        ``n_<arm>`` for each arm (cumulative counts up to and including the
        position) and ``difference`` (``n_<arms[-1]> - n_<arms[0]>``; for
        1:1 allocation the usual measure of imbalance).
    """
    _require_columns(allocation, ("sequence", "arm"), "allocation")
    arms = tuple(arms)
    extra = sorted(set(allocation["arm"]) - set(arms))
    if extra:
        raise ValueError(f"allocation: column 'arm' has values {extra} not in arms {arms}")
    keys = ["stratum"] if "stratum" in allocation.columns else []
    df = allocation.sort_values([*keys, "sequence"]).reset_index(drop=True)
    out = df[[*keys, "sequence"]].copy()
    for a in arms:
        hit = (df["arm"] == a).astype(int)
        out[f"n_{a}"] = hit.groupby([df[k] for k in keys]).cumsum() if keys else hit.cumsum()
    out["difference"] = out[f"n_{arms[-1]}"] - out[f"n_{arms[0]}"]
    return out


def guessing_predictability(allocation: pd.DataFrame, *, arms: Sequence[str] = ARMS) -> float:
    """Expected share of allocations a recruiter would guess right (convergence strategy).

    A recruiter who knows past allocations (open-label trial) guesses that
    the next patient goes to the arm with the fewest allocations so far
    (within stratum), splitting ties at random (Blackwell and Hodges's
    convergence strategy). For each position the expected score is 1 if the
    allocated arm is the unique least-allocated one, ``1/m`` if it is one of
    ``m`` tied least-allocated arms, 0 otherwise. Under simple randomization
    the expectation is ``1/len(arms)``; permuted blocks raise it, which is
    why allocation must be concealed.

    Written here because no Python library computes it.

    Parameters
    ----------
    allocation : pandas.DataFrame
        A list with ``sequence`` and ``arm`` (and optionally ``stratum``),
        for equal allocation.
    arms : sequence of str, default ARMS
        Arm names (default ``("control", "ucmsc")``).

    Returns
    -------
    float
        Expected proportion of correct guesses over all positions.

    References
    ----------
    Blackwell D, Hodges JL. Design for the control of selection bias.
    *Ann Math Stat* 1957;28:449-460.
    Rosenberger WF, Lachin JM. *Randomization in Clinical Trials*, 2nd ed.,
    Wiley 2016, section 5.2. For a permuted block of size ``2m`` the expected
    number of correct guesses is ``m + 2**(2m-1) / comb(2m, m) - 1/2``.
    """
    bal = allocation_balance(allocation, arms=arms)
    counts = bal[[f"n_{a}" for a in arms]].to_numpy()
    keys = ["stratum"] if "stratum" in bal.columns else []
    df = allocation.sort_values([*keys, "sequence"]).reset_index(drop=True)
    chosen = df["arm"].map({a: i for i, a in enumerate(arms)}).to_numpy()
    before = counts.copy()
    before[np.arange(len(chosen)), chosen] -= 1  # counts before this position
    low = before.min(axis=1, keepdims=True)
    tied = before == low
    score = np.where(tied[np.arange(len(chosen)), chosen], 1.0 / tied.sum(axis=1), 0.0)
    return float(score.mean())


def expected_predictability(block_sizes: Sequence[int] = (4,), *, block_probs: Sequence[float] | None = None) -> float:
    """Long-run expected share of correct guesses (convergence strategy), 1:1 permuted blocks.

    Every block starts balanced, so the recruiter's guesses within a block
    depend on that block only. A block of size ``2m`` yields on average
    ``m + 2**(2m-1) / comb(2m, m) - 1/2`` correct guesses (Blackwell and
    Hodges); over a long list of blocks whose sizes are drawn independently
    the share of correct guesses is the ratio of the expected correct guesses
    per block to the expected block size (renewal-reward theorem).

    Parameters
    ----------
    block_sizes : sequence of int, default (4,)
        Even block sizes (1:1 allocation).
    block_probs : sequence of float, optional
        Probabilities of the sizes; default ``None``: equal.

    Returns
    -------
    float
        Expected proportion of correct guesses; 0.5 would be simple
        randomization.

    References
    ----------
    Blackwell D, Hodges JL. Design for the control of selection bias.
    *Ann Math Stat* 1957;28:449-460. Rosenberger WF, Lachin JM.
    *Randomization in Clinical Trials*, 2nd ed., Wiley 2016, section 5.2
    and 5.3 (random block sizes do not reduce this predictability much).
    """
    sizes, probs, _, _ = _check_design(block_sizes, block_probs, ARMS, (1, 1))
    w = np.full(len(sizes), 1 / len(sizes)) if probs is None else np.asarray(probs)
    m = np.asarray(sizes) // 2
    per_block = np.array([k + 2.0 ** (2 * k - 1) / math.comb(2 * k, k) - 0.5 for k in m])
    return float((w * per_block).sum() / (w * np.asarray(sizes)).sum())


# ----------------------------------------------------------------------------
# Concealment
# ----------------------------------------------------------------------------
@dataclass(frozen=True)
class ConcealmentRecord:
    """What the trial statistician keeps with a sealed allocation list.

    With ``bit_generator`` and ``generator_state`` anyone can re-derive the
    list (:func:`reproduce_allocation`); ``sha256`` fingerprints the list
    file, so a list shown later can be checked against the one sealed at the
    start of the trial (:func:`verify_allocation`).

    Attributes
    ----------
    title : str
        Name of the list (trial, version).
    method : str
        The design in words (allocation ratio, block sizes and their probabilities, strata).
    arms : tuple of str
        Arm names, in the order of ``ratio``.
    ratio : tuple of int
        Allocation ratio.
    block_sizes : tuple of int
        The documented set of block sizes.
    block_probs : tuple of float or None
        Probabilities of the block sizes (``None``: equal).
    strata : tuple of str or None
        Stratum labels (``None``: unstratified).
    n_per_stratum : int
        Positions per stratum (the ``n`` of :func:`generate_allocation`).
    n_positions : int
        Positions in the whole list (all strata).
    code_length : int
        Characters per randomization code.
    seed : int or None
        The integer seed, or ``None`` when a Generator was passed.
    bit_generator : str
        Name of the numpy bit generator (e.g. ``"PCG64"``).
    generator_state : Mapping
        The bit generator's state before the list was drawn (JSON-serialisable).
    numpy_version : str
        numpy version that drew the list.
    sha256 : str
        SHA-256 hex digest of the list's CSV bytes (:meth:`AllocationList.csv_bytes`).
    generated_by : str or None
        Who generated the list (metadata; default ``None``).
    generated_on : str or None
        When, ISO 8601 (metadata; default ``None``).
    held_by : str or None
        Who holds the master list and the sealed envelopes (metadata; default ``None``).
    notes : str
        Free text kept with the record (default ``""``).
    summary : pandas.DataFrame
        The record for display, one row per field: ``field``, ``value`` (property).
    """

    title: str
    method: str
    arms: tuple[str, ...]
    ratio: tuple[int, ...]
    block_sizes: tuple[int, ...]
    block_probs: tuple[float, ...] | None
    strata: tuple[str, ...] | None
    n_per_stratum: int
    n_positions: int
    code_length: int
    seed: int | None
    bit_generator: str
    generator_state: Mapping[str, Any]
    numpy_version: str
    sha256: str
    generated_by: str | None = None
    generated_on: str | None = None
    held_by: str | None = None
    notes: str = ""

    def to_dict(self) -> dict[str, Any]:
        """The record as plain JSON-serialisable types."""
        d = asdict(self)
        for k in ("arms", "ratio", "block_sizes", "block_probs", "strata"):
            if d[k] is not None:
                d[k] = list(d[k])
        return d

    def to_json(self) -> str:
        """The record as indented JSON (keys in a fixed order)."""
        return json.dumps(self.to_dict(), indent=2)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "ConcealmentRecord":
        """Rebuild a record from :meth:`to_dict` output (e.g. a JSON file)."""
        kw = dict(d)
        for k in ("arms", "ratio", "block_sizes", "block_probs", "strata"):
            if kw.get(k) is not None:
                kw[k] = tuple(kw[k])
        return cls(**kw)

    @property
    def summary(self) -> pd.DataFrame:
        """The record for display: one row per field (``field``, ``value`` as text, nothing abbreviated)."""
        rows = []
        for k, v in self.to_dict().items():
            if v is None:
                text = ""
            elif isinstance(v, list):
                text = ", ".join(map(str, v))
            elif isinstance(v, dict):
                text = json.dumps(v, separators=(", ", ": "))
            else:
                text = str(v)
            rows.append((k, text))
        return pd.DataFrame(rows, columns=["field", "value"])

    def _repr_html_(self) -> str:
        return self.summary.to_html(index=False, border=0, classes="concealment-record")


@dataclass(frozen=True)
class AllocationList:
    """A concealed allocation list: the positions and their :class:`ConcealmentRecord`.

    ``table`` has the columns of :func:`allocation_list` plus ``envelope``
    (the number printed on the sealed envelope, sequential within stratum)
    and ``code`` (the patient's unique randomization code, which carries no
    information about the arm).

    Attributes
    ----------
    table : pandas.DataFrame
        One row per position: ``stratum`` (if stratified), ``sequence``, ``block``,
        ``block_size``, ``arm``, ``envelope``, ``code``.
    record : ConcealmentRecord
        The design, generator state, fingerprint and metadata of the list.
    """

    table: pd.DataFrame
    record: ConcealmentRecord

    def csv_bytes(self) -> bytes:
        """The list as the exact bytes :meth:`to_csv` writes (UTF-8, ``\\n`` line ends)."""
        return _csv_bytes(self.table)

    def to_csv(self, path: str | Path, *, overwrite: bool = False) -> tuple[Path, Path]:
        """Write the list (CSV) and its record (JSON, same name with ``.json``).

        Both files are written to temporary names and then renamed, so a
        failure never leaves a half-written list. An existing list is never
        replaced silently: a concealed allocation list must not change.

        Parameters
        ----------
        path : str or Path
            Target ``.csv`` file.
        overwrite : bool, default False
            Replace existing files (default ``False``: refuse).

        Returns
        -------
        tuple of Path
            The CSV and the JSON paths.
        """
        path = Path(path)
        if path.suffix.lower() != ".csv":
            raise ValueError(f"path must end in .csv, got {path.name!r}")
        rec = path.with_suffix(".json")
        existing = [p for p in (path, rec) if p.exists()]
        if existing and not overwrite:
            raise FileExistsError(f"{existing[0]} exists; an allocation list is not overwritten (overwrite=True to replace)")
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp_csv, tmp_rec = path.with_name(path.name + ".tmp"), rec.with_name(rec.name + ".tmp")
        try:
            tmp_csv.write_bytes(self.csv_bytes())
            tmp_rec.write_text(self.record.to_json() + "\n", encoding="utf-8")
            tmp_csv.replace(path)
            tmp_rec.replace(rec)
        finally:
            tmp_csv.unlink(missing_ok=True)
            tmp_rec.unlink(missing_ok=True)
        return path, rec

    def envelope_labels(self) -> pd.DataFrame:
        """What is printed outside the envelopes: everything but the arm."""
        return self.table.drop(columns=["arm"])


def _csv_bytes(table: pd.DataFrame) -> bytes:
    return table.to_csv(index=False, lineterminator="\n").encode("utf-8")


def _json_state(state: Mapping[str, Any]) -> dict[str, Any]:
    # Generator states hold Python ints (exact in JSON) and, for some bit
    # generators, NumPy arrays; make them plain lists.
    def conv(v: Any) -> Any:
        if isinstance(v, Mapping):
            return {k: conv(x) for k, x in v.items()}
        if isinstance(v, np.ndarray):
            return v.tolist()
        if isinstance(v, np.integer):
            return int(v)
        return v

    return conv(state)


def _codes(m: int, length: int, rng: np.random.Generator) -> list[str]:
    alphabet = np.array(list(CODE_ALPHABET))
    codes: list[str] = []
    seen: set[str] = set()
    while len(codes) < m:
        draw = rng.integers(0, len(alphabet), size=(m - len(codes), length))
        for row in alphabet[draw]:
            c = "".join(row)
            if c not in seen:
                seen.add(c)
                codes.append(c)
    return codes


def _method(sizes: tuple[int, ...], probs: tuple[float, ...] | None, strata: tuple[str, ...] | None, ratio: tuple[int, ...]) -> str:
    if len(sizes) == 1:
        blocks = f"permuted blocks of size {sizes[0]}"
    else:
        how = "equal probabilities" if probs is None else "probabilities " + ", ".join(f"{p:g}" for p in probs)
        blocks = f"permuted blocks of random size {', '.join(map(str, sizes))} ({how})"
    strat = f", stratified by {len(strata)} strata" if strata else ""
    return f"{':'.join(map(str, ratio))} allocation, {blocks}{strat}"


def generate_allocation(
    n: int,
    *,
    seed: int | np.random.Generator,
    block_sizes: Sequence[int] = (4,),
    block_probs: Sequence[float] | None = None,
    strata: Sequence[str] | None = None,
    arms: Sequence[str] = ARMS,
    ratio: Sequence[int] = (1, 1),
    code_length: int = 6,
    title: str = "Allocation list",
    generated_by: str | None = None,
    generated_on: str | None = None,
    held_by: str | None = None,
    notes: str = "",
) -> AllocationList:
    """A permuted-block list with sealed-envelope codes and its concealment record.

    Parameters
    ----------
    n : int
        Positions per list (per stratum when stratified), as in :func:`allocation_list`.
    seed : int or numpy.random.Generator
        An integer seed (recorded; ``np.random.default_rng(seed)`` is used)
        or a numpy Generator (its state before drawing is recorded; ``seed``
        is then recorded as None).
    block_sizes : sequence of int, default (4,)
        The documented set of block sizes, as in :func:`allocation_list`.
    block_probs : sequence of float, optional
        Probabilities of the block sizes (default ``None``: equal).
    strata : sequence of str, optional
        Stratum labels (default ``None``: unstratified).
    arms : sequence of str, default ARMS
        Arm names, in the order of ``ratio`` (default ``("control", "ucmsc")``).
    ratio : sequence of int, default (1, 1)
        Allocation ratio.
    code_length : int, default 6
        Characters per randomization code (``>= 4``), from :data:`CODE_ALPHABET`. Codes
        are drawn after the list, from the same generator, and are unique.
    title : str, default "Allocation list"
        Name of the list (trial, version).
    generated_by, generated_on, held_by : str, optional
        Who generated the list, when (ISO 8601; default: now, UTC, to the
        second) and who holds the master list and the sealed envelopes.
        Metadata only: they do not enter the fingerprint.
    notes : str, default ""
        Free text kept with the record.

    Returns
    -------
    AllocationList
        ``table`` (the list with ``envelope`` and ``code``) and ``record``.

    References
    ----------
    Schulz KF, Grimes DA. Allocation concealment in randomised trials:
    defending against deciphering. *Lancet* 2002;359:614-618. CONSORT 2010
    items 8a-10.
    """
    if isinstance(seed, np.random.Generator):
        rng, seed_value = seed, None
    else:
        seed_value = _check_int("seed", seed, minimum=0)
        rng = np.random.default_rng(seed_value)
    code_length = _check_int("code_length", code_length, minimum=4)
    sizes, probs, arms_t, ratio_t = _check_design(block_sizes, block_probs, arms, ratio)
    labels = _check_strata(strata)
    state = _json_state(rng.bit_generator.state)
    table = allocation_list(
        n, block_sizes=sizes, rng=rng, strata=labels, arms=arms_t, ratio=ratio_t, block_probs=probs
    )
    width = len(str(int(n)))
    if labels is None:
        table["envelope"] = [f"{s:0{width}d}" for s in table["sequence"]]
    else:
        idx = {s: i + 1 for i, s in enumerate(labels)}
        table["envelope"] = [f"S{idx[s]}-{q:0{width}d}" for s, q in zip(table["stratum"], table["sequence"])]
    table["code"] = _codes(len(table), code_length, rng)
    when = generated_on or datetime.now(timezone.utc).isoformat(timespec="seconds")
    record = ConcealmentRecord(
        title=title,
        method=_method(sizes, probs, labels, ratio_t),
        arms=arms_t,
        ratio=ratio_t,
        block_sizes=sizes,
        block_probs=probs,
        strata=labels,
        n_per_stratum=int(n),
        n_positions=len(table),
        code_length=code_length,
        seed=seed_value,
        bit_generator=str(state["bit_generator"]),
        generator_state=state,
        numpy_version=np.__version__,
        sha256=hashlib.sha256(_csv_bytes(table)).hexdigest(),
        generated_by=generated_by,
        generated_on=when,
        held_by=held_by,
        notes=notes,
    )
    return AllocationList(table=table, record=record)


def reproduce_allocation(record: ConcealmentRecord | Mapping[str, Any]) -> AllocationList:
    """Re-derive a list from its record (the generator state and the design).

    Parameters
    ----------
    record : ConcealmentRecord or Mapping
        A :class:`ConcealmentRecord` or its dict/JSON form.

    Returns
    -------
    AllocationList
        The regenerated list, whose record carries the same metadata. Its
        ``record.sha256`` is recomputed, so comparing it with the stored one
        checks the list.
    """
    rec = record if isinstance(record, ConcealmentRecord) else ConcealmentRecord.from_dict(record)
    try:
        bitgen_cls = getattr(np.random, rec.bit_generator)
    except AttributeError:
        raise ValueError(f"record: bit_generator {rec.bit_generator!r} is not a numpy bit generator") from None
    bitgen = bitgen_cls()
    bitgen.state = dict(rec.generator_state)
    out = generate_allocation(
        rec.n_per_stratum,
        seed=np.random.Generator(bitgen),
        block_sizes=rec.block_sizes,
        block_probs=rec.block_probs,
        strata=rec.strata,
        arms=rec.arms,
        ratio=rec.ratio,
        code_length=rec.code_length,
        title=rec.title,
        generated_by=rec.generated_by,
        generated_on=rec.generated_on,
        held_by=rec.held_by,
        notes=rec.notes,
    )
    new = {**out.record.to_dict(), "seed": rec.seed}
    return AllocationList(table=out.table, record=ConcealmentRecord.from_dict(new))


def verify_allocation(path: str | Path, record: ConcealmentRecord | Mapping[str, Any] | None = None) -> pd.DataFrame:
    """Check a list file against its concealment record.

    Parameters
    ----------
    path : str or Path
        The list CSV written by :meth:`AllocationList.to_csv`.
    record : ConcealmentRecord or Mapping, optional
        The record; default ``None``: read from the JSON next to ``path``.

    Returns
    -------
    pandas.DataFrame
        Columns ``check``, ``passed`` (bool), ``detail``: the file's SHA-256
        equals the record's, and the list regenerated from the recorded
        generator state equals the file.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"path: allocation list {path} does not exist")
    if record is None:
        rec_path = path.with_suffix(".json")
        if not rec_path.is_file():
            raise FileNotFoundError(f"record: no record given and {rec_path} does not exist")
        record = json.loads(rec_path.read_text(encoding="utf-8"))
    rec = record if isinstance(record, ConcealmentRecord) else ConcealmentRecord.from_dict(record)
    data = path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    regen = reproduce_allocation(rec)
    same = regen.csv_bytes() == data
    return pd.DataFrame(
        [
            ("file fingerprint = record", digest == rec.sha256, f"file {digest[:12]}, record {rec.sha256[:12]}"),
            ("re-derived list = file", same, f"re-derived {regen.record.sha256[:12]}"),
        ],
        columns=["check", "passed", "detail"],
    )


# ----------------------------------------------------------------------------
# Baseline tests under randomization
# ----------------------------------------------------------------------------
@dataclass(frozen=True)
class ChanceSignificance:
    """How many baseline tests reach ``alpha``, against what randomization alone gives.

    Attributes
    ----------
    n_tests : int
        Number of baseline p-values.
    n_significant : int
        Number with ``p < alpha``.
    alpha : float
        Significance level.
    expected : float
        Expected number significant by chance, ``alpha * n_tests``.
    p_at_least : float
        ``P(X >= n_significant)`` for ``X ~ Binomial(n_tests, alpha)``.
    summary : pandas.DataFrame
        The five fields as one row (property).

    See Also
    --------
    chance_significance
    """

    n_tests: int
    n_significant: int
    alpha: float
    expected: float
    p_at_least: float

    @property
    def summary(self) -> pd.DataFrame:
        """One row: ``n_tests``, ``n_significant``, ``alpha``, ``expected``, ``p_at_least``."""
        return pd.DataFrame([asdict(self)])

    def _repr_html_(self) -> str:
        return self.summary.to_html(index=False, border=0)


def chance_significance(p_values: Iterable[float], *, alpha: float = 0.05) -> ChanceSignificance:
    """Count baseline p-values below ``alpha`` and compare with chance.

    After proper randomization every between-arm difference at baseline is
    due to chance, so each baseline test has a true null: about
    ``alpha * n_tests`` "significant" rows are expected, and the number is
    Binomial(``n_tests``, ``alpha``) if the tests are independent. Baseline
    variables are correlated (MELD contains bilirubin and INR), so the
    binomial tail is only indicative.

    Parameters
    ----------
    p_values : iterable of float
        One p-value per baseline test, in ``[0, 1]``. A p printed as "<0.001" may be passed
        as 0.001 (only ``p < alpha`` matters).
    alpha : float, default 0.05
        Significance level, in (0, 1).

    Returns
    -------
    ChanceSignificance
        ``n_tests``, ``n_significant`` (p < alpha), ``expected``
        (``alpha * n_tests``) and ``p_at_least`` = P(X >= n_significant) for
        X ~ Binomial(n_tests, alpha). R: ``pbinom(k - 1, n, alpha, lower.tail = FALSE)``.

    References
    ----------
    Altman DG. Comparability of randomised groups. *The Statistician*
    1985;34:125-136. CONSORT 2010 explanation and elaboration, item 15.
    """
    p = np.asarray(list(p_values), dtype=float)
    if p.size == 0 or np.isnan(p).any() or (p < 0).any() or (p > 1).any():
        raise ValueError("p_values must be one or more numbers in [0, 1]")
    validate_alpha(alpha)
    k = int((p < alpha).sum())
    return ChanceSignificance(
        n_tests=int(p.size),
        n_significant=k,
        alpha=float(alpha),
        expected=float(alpha * p.size),
        p_at_least=float(stats.binom.sf(k - 1, p.size, alpha)),
    )


