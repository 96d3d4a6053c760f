"""Names of the endpoint's production variants, shared by the serving stack, the drift check and alarms.

Stable names matter: a blue/green update keeps the old variant names, and alarms, dashboards and the
capture layout (``<capture prefix><endpoint>/<variant>/...``) all carry them.
"""

from __future__ import annotations

CHAMPION_VARIANT = "champion"
CHALLENGER_VARIANT = "challenger"
VARIANTS = (CHAMPION_VARIANT, CHALLENGER_VARIANT)
