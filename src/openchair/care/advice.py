"""Fixed advice the companion shows: red flags and the cautions that hold for every exercise.

Worded after the NHS back-pain pages and NICE CKS; it never diagnoses, it says when to get help.
"""

from __future__ import annotations

RED_FLAGS: tuple[str, ...] = (
    "loss of bladder or bowel control",
    "numbness or tingling around the genitals, buttocks or inner thighs",
    "weakness or numbness in both legs, or in one leg getting worse",
    "fever (38 °C or more) with back pain",
    "weight loss without trying",
    "a history of cancer",
    "pain after a serious injury, such as a car crash or a fall",
    "severe pain at night or at rest",
    "new back pain under the age of 20 or over 50",
)
"""Any of these calls for urgent medical advice, not exercise."""

RED_FLAGS_ACTION = "Any of these: get urgent medical advice and do not exercise until you have."
SEE_A_CLINICIAN = "Pain not improving after a few weeks: see a clinician."

GENERAL_CAUTIONS: tuple[str, ...] = (
    "Stop an exercise that causes new pain or makes your symptoms worse.",
    "Do not exercise through numbness, tingling or weakness spreading into the legs or arms.",
    "After recent spinal surgery, in pregnancy, or with diagnosed osteoporosis, spinal stenosis or "
    "inflammatory arthritis, follow your clinician's plan.",
)
