"""``python -m model_code.train --cloud ...``: the train CLI hands cloud runs to the ops CLI's ``train``.

Same flags as ``python -m model_code.ops train`` (``--env``, ``--s3-input``, ``--s3-output``,
``--instance-type``, ``--max-runtime``, ``--spot/--no-spot``, ``--hyperparameter k=v`` ...).
"""

from __future__ import annotations

from model_code.ops.cli import main as ops_main


def main(argv: list[str]) -> int:
    arguments = [argument for argument in argv if argument != "--cloud"]
    return ops_main(["train", *arguments])
