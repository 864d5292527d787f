"""DevTune contract kit: the reference server and the contract suite for rotate-secret.

The contract itself is ``openapi.json`` at the repository root; the typed client generated
from it is the separate ``devtune_api_client`` package.
"""

__version__ = "0.1.0"
