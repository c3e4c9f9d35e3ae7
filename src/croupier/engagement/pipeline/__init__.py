"""Marketing data pipeline (seed 004): CSV in, reports out, Polars, integer minor units.

Inputs and their exact columns: :mod:`.schema`. Matching rules: :mod:`.reconcile` and
:mod:`.fuzzy` (analytics.md B4.2). Metrics: :mod:`.roas`, :mod:`.anomaly`,
:mod:`.arpdau`, :mod:`.chargebacks`. Entry point: :func:`run_pipeline`.
"""

from .config import PipelineConfig
from .run import RunResult, run_pipeline

__all__ = ["PipelineConfig", "RunResult", "run_pipeline"]
