"""gpu-reclaim: find and reclaim wasted GPUs in shared Kubernetes clusters.

One import package. Its subpackages live in the repository's top-level folders (setuptools' `package-dir` maps
them): `gpu_reclaim.core` (core/), `gpu_reclaim.scoring` (scoring/), `gpu_reclaim.assets` (assets/),
`gpu_reclaim.reports` (reports/), `gpu_reclaim.pipelines` (pipelines/), `gpu_reclaim.scenarios` (scenarios/) and
the named SQL files of `gpu_reclaim.sql` (sql/).
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("gpu-reclaim")
except PackageNotFoundError:  # pragma: no cover - running from a tree that was never installed
    __version__ = "0.0.0+unknown"
