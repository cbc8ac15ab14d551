"""csplib: the strategic assessment toolkit of a Community Safety Partnership.

Chapter notebooks start with :func:`load_context`; everything they compute is a csplib
function with a test.
"""

from importlib.metadata import PackageNotFoundError, version

from csplib.context import Context, load_context
from csplib.errors import CspError, DataError, DefinitionError, ParamsError
from csplib.params import Params, load_params

try:
    __version__ = version("csplib")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0+unknown"

__all__ = [
    "__version__",
    "Context",
    "load_context",
    "Params",
    "load_params",
    "CspError",
    "DataError",
    "DefinitionError",
    "ParamsError",
]
