"""The quality gate: minimum thresholds, then no regression against the approved model (champion).

The champion comparison is like for like only: the champion's metrics must come from the same
validation rows (train scores the champion channel itself, or the registry's champion was
registered with the same validation sha256). Without such a comparison while a champion exists,
the candidate is never auto-approved: a person decides.
"""

from __future__ import annotations

from dataclasses import dataclass

GATED_METRICS = ("accuracy", "f1")


@dataclass(frozen=True)
class Thresholds:
    min_accuracy: float
    min_f1: float
    max_regression: float  # how much a candidate may fall below the champion, per gated metric


@dataclass(frozen=True)
class GateDecision:
    approval_status: str  # Approved | PendingManualApproval | Rejected
    reasons: list[str]  # why it was rejected, or what a reviewer should know

    @property
    def description(self) -> str:
        verdict = {
            "Rejected": "Rejected by the quality gate",
            "Approved": "Approved automatically by the quality gate",
            "PendingManualApproval": "Passed the quality gate; waiting for a person to approve",
        }[self.approval_status]
        return f"{verdict}: {'; '.join(self.reasons)}" if self.reasons else verdict


def decide(
    candidate: dict[str, float],
    champion: dict[str, float] | None,
    thresholds: Thresholds,
    *,
    champion_exists: bool,
    auto_approve: bool,
) -> GateDecision:
    """``champion`` holds like-for-like metrics (or None); ``champion_exists`` whether any is approved."""
    failures: list[str] = []
    if candidate["accuracy"] < thresholds.min_accuracy:
        failures.append(f"accuracy {candidate['accuracy']:.4f} below minimum {thresholds.min_accuracy:.4f}")
    if candidate["f1"] < thresholds.min_f1:
        failures.append(f"f1 {candidate['f1']:.4f} below minimum {thresholds.min_f1:.4f}")
    if champion is not None:
        for name in GATED_METRICS:
            floor = champion[name] - thresholds.max_regression
            if candidate[name] < floor:
                failures.append(
                    f"{name} {candidate[name]:.4f} worse than the approved model's {champion[name]:.4f} "
                    f"(allowed drop {thresholds.max_regression:.4f})"
                )
    if failures:
        return GateDecision("Rejected", failures)

    notes: list[str] = []
    if champion is not None:
        notes.append(
            "vs approved model on the same validation rows: "
            + ", ".join(f"{name} {candidate[name]:.4f} vs {champion[name]:.4f}" for name in GATED_METRICS)
        )
    elif champion_exists:
        notes.append(
            "an approved model exists but was not scored on the same validation rows; compare by hand"
        )
        return GateDecision("PendingManualApproval", notes)
    else:
        notes.append("no approved model to compare with")
    return GateDecision("Approved" if auto_approve else "PendingManualApproval", notes)
