"""csplib: the strategic assessment toolkit of a Community Safety Partnership.

Chapter notebooks start with :func:`load_context`; everything they compute is a csplib
function with a test.
"""

from csplib.core.errors import CspError, DataError, DefinitionError, ParamsError
from csplib.core.provenance import csplib_version
from csplib.params import Params, load_params
from csplib.run.context import Context, load_context

__version__ = csplib_version()

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
