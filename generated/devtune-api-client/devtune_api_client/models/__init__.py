"""Contains all the data models used in inputs/outputs"""

from .error_body import ErrorBody
from .response_meta import ResponseMeta
from .rotated_secret import RotatedSecret
from .rotated_secret_data import RotatedSecretData

__all__ = (
    "ErrorBody",
    "ResponseMeta",
    "RotatedSecret",
    "RotatedSecretData",
)
